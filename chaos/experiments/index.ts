// The experiment catalog and the named suites.
import type { Experiment } from "../model";
import { natsClusterNodeKill, natsKillRestart, natsRecreate } from "./nats";
import { linkLatency, linkLoss, partitionGateway, partitionRouter } from "./network";
import { cpuSqueeze, memorySqueeze } from "./resources";
import { gatewayRestart, routerKill, routerKillAll, routerKillOne, routerPause } from "./services";
import { reconnectStorm } from "./storm";

export const EXPERIMENTS: Experiment[] = [
  natsKillRestart,
  natsRecreate,
  natsClusterNodeKill,
  gatewayRestart,
  routerKill,
  routerKillOne,
  routerKillAll,
  routerPause,
  partitionRouter,
  partitionGateway,
  linkLoss,
  linkLatency,
  cpuSqueeze,
  memorySqueeze,
  reconnectStorm,
];

export const SUITES: Record<string, string[]> = {
  /**
   * The CI gate against the deployed `ci` stack (docker driver). link-latency needs the stack's link proxy
   * (linkProxyEnabled, set in Pulumi.ci.yaml); link-loss is not here (netem/iptables in the router's
   * namespace, root on the Docker host).
   */
  ci: [
    "nats-kill-restart",
    "router-kill",
    "gateway-restart",
    "partition-router",
    "cpu-squeeze",
    "link-latency",
  ],
  /**
   * The kubernetes target (kubernetes driver, e.g. the kube-local stack): a router pod and a NATS pod
   * deleted with no grace period under load, the controllers replacing them (no network or CPU faults:
   * the driver has no exec into the pods).
   */
  kubernetes: ["router-kill-one", "nats-kill-restart"],
  /** The same on a process-driven loopback stack: signals only, so no partition or squeeze. */
  local: ["nats-kill-restart", "router-kill", "gateway-restart", "router-pause"],
  full: EXPERIMENTS.map((e) => e.name),
};

export function findExperiment(name: string): Experiment | undefined {
  return EXPERIMENTS.find((e) => e.name === name);
}

export interface Selection {
  experiments: Experiment[];
  /** Came from a suite (not applicable ones are then excluded and listed) rather than named explicitly. */
  fromSuite: Set<string>;
}

/** Resolves CLI words (suite or experiment names) to experiments, in order, without repeats. */
export function select(words: string[]): Selection {
  const out: Experiment[] = [];
  const fromSuite = new Set<string>();
  const add = (e: Experiment, suite: boolean) => {
    if (!out.includes(e)) out.push(e);
    if (suite) fromSuite.add(e.name);
    else fromSuite.delete(e.name);
  };
  for (const w of words) {
    if (SUITES[w]) {
      for (const n of SUITES[w]) add(findExperiment(n)!, true);
      continue;
    }
    const e = findExperiment(w);
    if (!e) {
      throw new Error(
        `unknown suite or experiment ${JSON.stringify(w)}; suites: ${Object.keys(SUITES).join(", ")}; experiments: ${EXPERIMENTS.map((x) => x.name).join(", ")}`,
      );
    }
    add(e, false);
  }
  return { experiments: out, fromSuite };
}
