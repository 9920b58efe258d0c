// Mocha's spec reporter plus one closing line in the plain "N passed, N failed" form that CI reads.
// Pending (skipped) tests are counted as skipped and also fail the run: a skipped test is not a pass.
"use strict";
const Mocha = require("mocha");
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      process.stdout.write(`\nmocha: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
      if (s.pending > 0) {
        process.stdout.write("mocha: skipped tests are not allowed; failing the run\n");
        process.exitCode = 1;
      }
    });
  }
}
module.exports = SummaryReporter;
