import { packageProject } from '../vitest.shared.ts';
// The downstream-user tests: README examples, examples/*.mjs, browser bundles, packed packages installed outside the workspace.
export default packageProject('examples');
