// SSM chaos driver for the aws target: every fault is a shell command run on the EC2 host through SSM
// Run Command (SendCommand with AWS-RunShellScript), acting on the role's Docker container there. No SSH,
// no open port: the same Session Manager access the stack relies on. outputs.chaosTargets.<role> has
// driver "ssm", `instanceIds`, `region`, and `containers` where containers[i] runs on instanceIds[i].
//
// The driver uses the two-call SsmApi interface below, so it is unit-tested against recorded calls and
// needs no SDK here; ssmDriverFromSdk (bottom) wires @aws-sdk/client-ssm.
import type { ChaosTarget, Role, StackOutputs } from "../../stacks/outputs";
import { ChaosDriver, DriverCapability, InstanceRef, ResourceLimits, withoutReads } from "./types";

/** What the resource sampler and the log bundling get from this driver kind. */
const NO_READS = withoutReads("ssm driver: container stats and logs on the hosts are not read through SSM");

export interface SendCommandInput {
  DocumentName: "AWS-RunShellScript";
  InstanceIds: string[];
  Parameters: { commands: string[]; executionTimeout?: string[] };
  Comment?: string;
  TimeoutSeconds?: number;
}

export interface CommandInvocation {
  /** Pending | InProgress | Delayed | Success | Cancelled | TimedOut | Failed | Cancelling */
  Status?: string;
  ResponseCode?: number;
  StandardOutputContent?: string;
  StandardErrorContent?: string;
}

export interface SsmApi {
  sendCommand(input: SendCommandInput): Promise<{ Command?: { CommandId?: string } }>;
  getCommandInvocation(input: { CommandId: string; InstanceId: string }): Promise<CommandInvocation>;
}

export interface SsmDriverOptions {
  pollMs?: number;
  /** Per command, passed to SSM as executionTimeout and used for the local wait (s). */
  commandTimeoutSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
}

const PENDING = new Set(["Pending", "InProgress", "Delayed"]);
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Runs shell commands on one instance through SSM and returns stdout; throws with stderr on failure. */
export async function runOnHost(
  api: SsmApi,
  instanceId: string,
  commands: string[],
  opts: SsmDriverOptions & { comment?: string } = {},
): Promise<string> {
  const timeout = opts.commandTimeoutSeconds ?? 120;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const sent = await api.sendCommand({
    DocumentName: "AWS-RunShellScript",
    InstanceIds: [instanceId],
    Parameters: { commands, executionTimeout: [String(timeout)] },
    Comment: (opts.comment ?? "proving-ground chaos").slice(0, 100),
    TimeoutSeconds: timeout,
  });
  const commandId = sent.Command?.CommandId;
  if (!commandId) throw new Error(`ssm: SendCommand to ${instanceId} returned no CommandId`);
  const deadline = Date.now() + timeout * 1000 + 30_000;
  for (;;) {
    let inv: CommandInvocation | undefined;
    try {
      inv = await api.getCommandInvocation({ CommandId: commandId, InstanceId: instanceId });
    } catch (e) {
      // Right after SendCommand the invocation may not be registered yet.
      if ((e as { name?: string }).name !== "InvocationDoesNotExist") throw e;
    }
    if (inv?.Status && !PENDING.has(inv.Status)) {
      if (inv.Status === "Success") return inv.StandardOutputContent ?? "";
      throw new Error(
        `ssm: command ${commandId} on ${instanceId} ended ${inv.Status} (exit ${inv.ResponseCode ?? "?"}): ${(inv.StandardErrorContent ?? "").trim()}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`ssm: command ${commandId} on ${instanceId} still ${inv?.Status} after ${timeout} s`);
    await sleep(opts.pollMs ?? 1000);
  }
}

interface Host {
  instanceId: string;
  region: string;
  container: string;
  network?: string;
}

export class SsmDriver implements ChaosDriver {
  readonly name = "ssm" as const;
  private readonly apis = new Map<string, SsmApi>();

  constructor(
    private readonly outputs: StackOutputs,
    private readonly clientFor: (region: string) => SsmApi,
    private readonly opts: SsmDriverOptions = {},
  ) {}

  private target(role: Role): ChaosTarget & { instanceIds: string[]; region: string; containers: string[] } {
    const t = this.outputs.chaosTargets[role];
    if (!t || t.driver !== "ssm" || !t.instanceIds || !t.region || !t.containers) {
      throw new Error(
        `ssm driver: outputs.chaosTargets.${role} needs driver "ssm", instanceIds, region and containers`,
      );
    }
    if (t.containers.length !== t.instanceIds.length) {
      throw new Error(
        `ssm driver: outputs.chaosTargets.${role} has ${t.containers.length} containers for ${t.instanceIds.length} instances (expected one per instance)`,
      );
    }
    for (const c of [...t.containers, ...(t.networks ?? [])]) {
      if (!NAME.test(c))
        throw new Error(`ssm driver: refusing unsafe container/network name ${JSON.stringify(c)}`);
    }
    return t as ChaosTarget & { instanceIds: string[]; region: string; containers: string[] };
  }

  private hosts(ref: InstanceRef): Host[] {
    const t = this.target(ref.role);
    const all = t.instanceIds.map((instanceId, i) => ({
      instanceId,
      region: t.region,
      container: t.containers[i],
      network: t.networks?.[0],
    }));
    if (ref.index === undefined) return all;
    if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= all.length) {
      throw new Error(
        `ssm driver: ${ref.role} has ${all.length} instance(s), index ${ref.index} is out of range`,
      );
    }
    return [all[ref.index]];
  }

  private api(region: string): SsmApi {
    let a = this.apis.get(region);
    if (!a) this.apis.set(region, (a = this.clientFor(region)));
    return a;
  }

  private async each(ref: InstanceRef, what: string, cmd: (h: Host) => string[]): Promise<string[]> {
    return Promise.all(
      this.hosts(ref).map((h) =>
        runOnHost(this.api(h.region), h.instanceId, cmd(h), {
          ...this.opts,
          comment: `chaos ${what} ${ref.role}`,
        }),
      ),
    );
  }

  count(role: Role): number {
    return this.target(role).instanceIds.length;
  }

  async kill(ref: InstanceRef, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!/^SIG[A-Z0-9]+$/.test(signal)) throw new Error(`ssm driver: bad signal ${signal}`);
    await this.each(ref, "kill", (h) => [`docker kill --signal ${signal} ${h.container}`]);
  }

  async start(ref: InstanceRef): Promise<void> {
    await this.each(ref, "start", (h) => [`docker start ${h.container}`]);
  }

  async restart(ref: InstanceRef): Promise<void> {
    await this.each(ref, "restart", (h) => [`docker restart ${h.container}`]);
  }

  async pause(ref: InstanceRef): Promise<void> {
    await this.each(ref, "pause", (h) => [`docker pause ${h.container}`]);
  }

  async unpause(ref: InstanceRef): Promise<void> {
    await this.each(ref, "unpause", (h) => [`docker unpause ${h.container}`]);
  }

  async disconnect(ref: InstanceRef): Promise<void> {
    await this.each(ref, "disconnect", (h) => [
      `docker network disconnect --force ${this.network(h)} ${h.container}`,
    ]);
  }

  async reconnect(ref: InstanceRef): Promise<void> {
    await this.each(ref, "reconnect", (h) => [`docker network connect ${this.network(h)} ${h.container}`]);
  }

  private network(h: Host): string {
    if (!h.network) throw new Error(`ssm driver: no network listed for ${h.container}`);
    return h.network;
  }

  /**
   * `docker update` on the host. The declared limits are read from the container before the first
   * squeeze (stored in a file on the host) so `undefined` restores exactly them.
   */
  async squeeze(ref: InstanceRef, limits: ResourceLimits | undefined): Promise<void> {
    await this.each(ref, "squeeze", (h) => {
      const saved = `/var/tmp/pg-chaos-limits-${h.container}`;
      if (!limits) {
        return [
          `[ -f ${saved} ] || exit 0`,
          `read nano mem < ${saved}`,
          `docker update --cpus "$(awk "BEGIN{print $nano/1e9}")" --memory "$mem" --memory-swap "$mem" ${h.container}`,
          `rm -f ${saved}`,
        ];
      }
      const args: string[] = [];
      if (limits.cpus !== undefined) args.push(`--cpus ${Number(limits.cpus)}`);
      if (limits.memoryBytes !== undefined) {
        const m = Math.floor(Number(limits.memoryBytes));
        args.push(`--memory ${m} --memory-swap ${m}`);
      }
      return [
        // Only the first squeeze saves: a second squeeze must not overwrite the declared limits.
        `[ -f ${saved} ] || docker inspect -f '{{.HostConfig.NanoCpus}} {{.HostConfig.Memory}}' ${h.container} > ${saved}`,
        `docker update ${args.join(" ")} ${h.container}`,
      ];
    });
  }

  async capabilities(): Promise<Set<DriverCapability>> {
    const caps = new Set<DriverCapability>(["squeeze"]);
    const anyNetwork = Object.values(this.outputs.chaosTargets).some(
      (t) => t?.driver === "ssm" && t.networks?.length,
    );
    if (anyNetwork) caps.add("partition");
    return caps;
  }

  // Stats and logs are not read on this platform (the sampler and the log bundling say so).
  readonly statsSource = NO_READS.statsSource;
  readonly stats = NO_READS.stats;
  readonly logs = NO_READS.logs;

  async running(role: Role): Promise<boolean[]> {
    const outs = await this.each({ role }, "status", (h) => [
      `docker inspect -f '{{.State.Running}} {{.State.Paused}}' ${h.container} 2>/dev/null || echo 'false false'`,
    ]);
    return outs.map((o) => {
      const [run, paused] = o.trim().split(/\s+/);
      return run === "true" && paused !== "true";
    });
  }
}

/**
 * The driver on the real AWS SDK, for `registerDriver("ssm", ssmDriverFromSdk)`. @aws-sdk/client-ssm is
 * not a dependency of this repository (nothing here can reach AWS); soak runs install it with
 * `npm install --no-save @aws-sdk/client-ssm`. Credentials and endpoints come from the SDK's defaults.
 */
export function ssmDriverFromSdk(outputs: StackOutputs, opts: SsmDriverOptions = {}): SsmDriver {
  let sdk: any;
  try {
    sdk = require("@aws-sdk/client-ssm");
  } catch {
    throw new Error(
      'ssm chaos driver: @aws-sdk/client-ssm is not installed (run "npm install --no-save @aws-sdk/client-ssm")',
    );
  }
  return new SsmDriver(
    outputs,
    (region) => {
      const client = new sdk.SSMClient({ region });
      return {
        sendCommand: (input) => client.send(new sdk.SendCommandCommand(input)),
        getCommandInvocation: (input) => client.send(new sdk.GetCommandInvocationCommand(input)),
      };
    },
    opts,
  );
}
