// Placeholder until the real-deployment harness lands (issue 3): deploys the `ci` stack once per mocha
// run and tears it down in the global teardown.
export async function teardownDeployedStack(): Promise<void> {}
