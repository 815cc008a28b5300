/** `portcullis/checker`: run the conformance checks programmatically, or reuse the checks and reports. */
export { runChecker, type CheckerOptions } from './run.js';
export { CHECKS } from './checks/index.js';
export { evaluateAll, evaluateCheck } from './evaluate.js';
export { textReport } from './report/text.js';
export { htmlReport } from './report/html.js';
export { checkCommand } from './cli.js';
export type { Check, CheckResult, Exchange, Level, Observations, Outcome, Report, Verdict } from './types.js';
