/** @twist/cli: the `twist` command's building blocks (also usable programmatically). */
export { main, registerCommand } from './main.js';
export { selfCheck, CHECKS, type SelfCheckResult } from './selfcheck.js';
export { parseArgs, usage, rejectInapplicable, UsageError, type OptionSpec, type Parsed } from './args.js';
export { trainCommand, trainOptions } from './commands/train.js';
export { evalCommand, evalOptions, loadEvalTarget } from './commands/eval.js';
export { distilCommand, distilOptions, distilOverridesOf, distilProgressPrinter } from './commands/distil.js';
export { twistCommand, twistOptions } from './commands/twist.js';
export { renderCommand, renderOptions } from './commands/render.js';
export { collectCommand, collectOptions, collectProgressPrinter } from './commands/collect.js';
export { exportCommand, exportOptions } from './commands/export.js';
export { compareCommand, compareOptions } from './commands/compare.js';
export { startPipeline, type StartOptions, type StartResult } from './commands/start.js';
export { relaunchFilteringDawnWarnings, dawnWarningFilter, DAWN_LIMIT_WARNING } from './launcher.js';
