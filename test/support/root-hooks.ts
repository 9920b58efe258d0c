// Global mocha hooks. The deployed `ci` stack (test/support/deployed-stack.ts) is created lazily by the
// first suite that needs it and torn down here once, after every suite has run.
import { teardownDeployedStack } from "./deployed-stack";

export async function mochaGlobalTeardown(): Promise<void> {
  await teardownDeployedStack();
}
