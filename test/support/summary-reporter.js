// Mocha's spec reporter plus a closing block in the plain "N passed, N failed" form that CI reads.
// Pending (skipped) tests are counted as skipped and also fail the run: a skipped test is not a pass.
// CI keeps only the tail of a run's output, and mocha's epilogue prints every failure with its stack:
// the closing block repeats each failure on one line (title and the error's first line), so the first
// failure, usually the cause of the others, is still in the tail (with more of its message).
"use strict";
const Mocha = require("mocha");
const { EVENT_RUN_END, EVENT_TEST_FAIL } = Mocha.Runner.constants;

/** Failures listed one per line at the end; the rest are counted. */
const MAX_LISTED = 25;

/** The first failure, usually the cause of the rest, keeps this many lines of its message. */
const FIRST_LINES = 30;

function messageLines(err, max) {
  const lines = String((err && (err.message || err)) || "")
    .split("\n")
    .filter((l) => l.trim())
    .slice(0, max)
    .map((l) => (l.length > 240 ? `${l.slice(0, 240)}…` : l));
  // An assertion's first line is often only "Expected values to be strictly equal:".
  if (err && "actual" in err && "expected" in err && max === 1) {
    const show = (v) => String(JSON.stringify(v)).slice(0, 100);
    lines.push(`(actual ${show(err.actual)}, expected ${show(err.expected)})`);
  }
  return lines.length ? lines.join(max === 1 ? " " : "\n       ") : "(no message)";
}

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failed = [];
    runner.on(EVENT_TEST_FAIL, (test, err) =>
      failed.push(`${test.fullTitle()}: ${messageLines(err, failed.length === 0 ? FIRST_LINES : 1)}`),
    );
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      if (failed.length > 0) {
        process.stdout.write(`\nmocha: failures in the order they happened:\n`);
        failed.slice(0, MAX_LISTED).forEach((f, i) => process.stdout.write(`  ${i + 1}) ${f}\n`));
        if (failed.length > MAX_LISTED) process.stdout.write(`  … and ${failed.length - MAX_LISTED} more\n`);
      }
      process.stdout.write(`\nmocha: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`);
      if (s.pending > 0) {
        process.stdout.write("mocha: skipped tests are not allowed; failing the run\n");
        process.exitCode = 1;
      }
    });
  }
}
module.exports = SummaryReporter;
