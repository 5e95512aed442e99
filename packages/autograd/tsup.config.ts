import { packageConfig } from '../../tsup.shared.ts';
// Two entries: the browser-safe package (index) and the Node file I/O (node: @twist/autograd/node).
export default packageConfig({ entry: ['src/index.ts', 'src/node.ts'] });
