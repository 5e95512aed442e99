import { packageConfig } from '../../tsup.shared.ts';
// The package entry (browser-safe) and the Node entry (@twist/distil/node).
export default packageConfig({ entry: ['src/index.ts', 'src/node.ts'] });
