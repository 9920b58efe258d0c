// Driver factory: picks the driver named by the stack's chaosTargets. The cloud targets register
// `kubernetes` and `ssm` here (registerDriver) without touching the callers.
import type { ChaosTarget, StackOutputs } from "../../stacks/outputs";
import { DockerDriver } from "./docker";
import { kubernetesDriverFromKubeconfig } from "./kubernetes";
import { ProcessDriver } from "./process";
import { ssmDriverFromSdk } from "./ssm";
import type { ChaosDriver } from "./types";

/** Sync for local drivers; async for drivers that must look things up first (kubernetes, ssm clients). */
export type DriverFactory = (outputs: StackOutputs) => ChaosDriver | Promise<ChaosDriver>;
type DriverName = ChaosTarget["driver"];

const factories = new Map<DriverName, DriverFactory>([
  ["docker", (o) => new DockerDriver(o)],
  ["process", (o) => new ProcessDriver(o)],
  // kubernetes: no SDK needed, reads $KUBECONFIG (or ~/.kube/config). ssm loads its SDK only when a stack
  // names it (not a dependency here).
  ["kubernetes", (o) => kubernetesDriverFromKubeconfig(o)],
  ["ssm", (o) => ssmDriverFromSdk(o)],
]);

/** Adds (or replaces) the factory for a driver name. */
export function registerDriver(name: DriverName, factory: DriverFactory): void {
  factories.set(name, factory);
}

/** The single driver every chaos target of the stack names. Mixed drivers are a config error. */
export function driverNameOf(outputs: StackOutputs): DriverName {
  const names = new Set(Object.values(outputs.chaosTargets ?? {}).map((t) => t?.driver));
  names.delete(undefined as unknown as DriverName);
  if (names.size === 0)
    throw new Error("outputs.chaosTargets is empty: the stack declares nothing chaos may touch");
  if (names.size > 1) {
    throw new Error(`outputs.chaosTargets mixes drivers (${[...names].join(", ")}); expected exactly one`);
  }
  return [...names][0];
}

function factoryFor(outputs: StackOutputs): DriverFactory {
  const name = driverNameOf(outputs);
  const f = factories.get(name);
  if (!f) {
    throw new Error(
      `outputs.chaosTargets uses driver "${name}", which has no implementation registered (known: ${[...factories.keys()].join(", ")})`,
    );
  }
  return f;
}

/** The driver for a stack whose factory is synchronous (docker, process). */
export function createDriver(outputs: StackOutputs): ChaosDriver {
  const d = factoryFor(outputs)(outputs);
  if (d instanceof Promise) throw new Error("this driver connects asynchronously: use openDriver(outputs)");
  return d;
}

/** Drivers whose built-in factory needs no API client and no connection (the local ones). */
const LOCAL: ReadonlySet<DriverName> = new Set(["docker", "process"]);

/**
 * The driver of a stack on this machine (docker, process), for reading stats and logs; undefined when
 * the stack names no single driver or a cloud one (those are opened with openDriver by whoever runs
 * faults). The caller closes it.
 */
export function localDriver(outputs: StackOutputs): ChaosDriver | undefined {
  let name: DriverName;
  try {
    name = driverNameOf(outputs);
  } catch {
    return undefined;
  }
  return LOCAL.has(name) ? createDriver(outputs) : undefined;
}

/** The driver for any stack, including drivers registered with an async factory. */
export async function openDriver(outputs: StackOutputs): Promise<ChaosDriver> {
  return factoryFor(outputs)(outputs);
}

export type { ChaosDriver, InstanceRef } from "./types";
