// Pulumi program entry: read and validate the stack config, build the selected target, export the
// StackOutputs keys (stacks/outputs.ts) that validation, load and chaos tooling read.
import { readConfig } from "./stacks/config";
import type { StackOutputValues } from "./stacks/outputs";

// Each target's builder is loaded only when selected: a docker deployment never loads the AWS or
// Kubernetes SDKs (seconds of start-up on a busy machine).
function build(): StackOutputValues {
  const loaded = readConfig();
  // Each builder takes its own target's config (the switch narrows `config` for it).
  const { config } = loaded;
  switch (config.target) {
    case "docker":
      return (require("./stacks/docker") as typeof import("./stacks/docker")).buildDockerStack({
        ...loaded,
        config,
      });
    case "aws":
      return (require("./stacks/aws") as typeof import("./stacks/aws")).buildAwsStack({ ...loaded, config });
    case "kubernetes":
      return (require("./stacks/kubernetes") as typeof import("./stacks/kubernetes")).buildKubernetesStack({
        ...loaded,
        config,
      });
  }
}

// Every StackOutputs key becomes a stack output, except those without a value on this stack (grafanaUrl
// when Grafana is off): the engine warns about each undefined export on every run.
export = Object.fromEntries(Object.entries(build()).filter(([, value]) => value !== undefined));
