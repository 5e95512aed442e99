import { packageConfig } from '../../tsup.shared.ts';
// Two entries: the browser-safe model side (index) and replay, training loop, evaluation, plots (node: @twist/agent/node).
export default packageConfig({ entry: ['src/index.ts', 'src/node.ts'] });
