// Pulumi program entry: read and validate the stack config, build the selected target, export the
// StackOutputs keys (stacks/outputs.ts) that validation, load and chaos tooling read.
import { readConfig, type Target } from "./stacks/config";
import type { StackOutputValues } from "./stacks/docker";

// Each target's builder is loaded only when selected: a docker deployment never loads the AWS or
// Kubernetes SDKs (seconds of start-up on a busy machine).
function build(): StackOutputValues {
  const loaded = readConfig();
  const target: Target = loaded.config.target;
  switch (target) {
    case "docker":
      return (require("./stacks/docker") as typeof import("./stacks/docker")).buildDockerStack(loaded);
    case "aws":
      return (require("./stacks/aws") as typeof import("./stacks/aws")).buildAwsStack(loaded);
    case "kubernetes":
      return (require("./stacks/kubernetes") as typeof import("./stacks/kubernetes")).buildKubernetesStack(
        loaded,
      );
  }
}

// Every StackOutputs key becomes a stack output, except those without a value on this stack (grafanaUrl
// when Grafana is off): the engine warns about each undefined export on every run.
export = Object.fromEntries(Object.entries(build()).filter(([, value]) => value !== undefined));
