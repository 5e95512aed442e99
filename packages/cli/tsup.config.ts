import { packageConfig } from '../../tsup.shared.ts';
export default packageConfig({ entry: ['src/index.ts', 'src/main.ts', 'src/selfcheck.ts', 'src/launcher.ts'] });
