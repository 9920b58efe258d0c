// One mocha run covers every suite, in dependency order: pure units first, then tests against real
// servers started on loopback, then the real deployment of the `ci` stack onto dockerd (which the
// validation and chaos suites reuse). MOCHA_SPEC narrows it, e.g. MOCHA_SPEC=test/services/**/*.test.ts.
const spec = process.env.MOCHA_SPEC
  ? process.env.MOCHA_SPEC.split(",")
  : [
      "test/unit/**/*.test.ts",
      "test/services/**/*.test.ts",
      "test/components/**/*.test.ts",
      "test/cloud/**/*.test.ts",
      "test/policy/**/*.test.ts",
      "test/monitoring/**/*.test.ts",
      "test/loadtests/**/*.test.ts",
      "test/chaos/**/*.test.ts",
      "test/deployed/**/*.test.ts",
      // Deploys a stack of its own (prove-sigint), interrupts `npm run prove` and checks the teardown.
      "test/prove/**/*.test.ts",
    ];
module.exports = {
  require: ["tsx/cjs", "test/support/root-hooks.ts"],
  spec,
  reporter: "test/support/summary-reporter.js",
  timeout: 30000,
  exit: true,
};
