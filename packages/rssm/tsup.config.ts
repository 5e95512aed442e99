import { packageConfig } from '../../tsup.shared.ts';
// Two entries: the browser-safe package (index) and the checkpoint files (node: @twist/rssm/node).
export default packageConfig({ entry: ['src/index.ts', 'src/node.ts'] });
