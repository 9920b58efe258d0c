// Docker driver: faults through the Docker Engine API (dockerode) on the containers, networks and volumes
// named in outputs.chaosTargets. It never touches anything not listed there.
//
// Link impairment runs `tc`/`iptables` from the host inside the container's network namespace
// (`nsenter -t <pid> -n`), which has the same effect as a netem helper container sharing that namespace
// but needs no image with iproute2 (nothing can be pulled in CI). It therefore needs the driver to run
// on the Docker host as root. Delay needs the kernel's sch_netem; loss falls back to an iptables
// `statistic` DROP rule when netem is missing.
//
// Latency without netem: a stack with a link proxy (outputs.linkProxy: Toxiproxy between the routers and
// NATS) gets it as latency toxics through the proxy's REST API (tooling/toxiproxy.ts), which needs neither
// root nor anything from the kernel.
import Docker from "dockerode";
import { execFile } from "node:child_process";
import { posix } from "node:path";
import { promisify } from "node:util";
import type { ChaosTarget, Role, StackOutputs } from "../../stacks/outputs";
import { ToxiproxyClient } from "../toxiproxy";
import type {
  CfsCounters,
  ChaosDriver,
  DriverCapability,
  InstanceLog,
  InstanceRef,
  InstanceStats,
  LinkImpairment,
  LinkLatency,
  ResourceLimits,
  TimeWindow,
} from "./types";

const run = promisify(execFile);
const RULE_COMMENT = "pg-chaos-loss";

/** CFS counters from the Docker stats API's `cpu_stats.throttling_data` (throttled_time in ns). */
export function dockerThrottling(stats: any): CfsCounters | undefined {
  const d = stats?.cpu_stats?.throttling_data;
  if (!d || typeof d.periods !== "number") return undefined;
  return {
    periods: d.periods,
    throttledPeriods: d.throttled_periods ?? 0,
    throttledSeconds: (d.throttled_time ?? 0) / 1e9,
  };
}

/** Splits Docker's multiplexed log stream (8-byte frame headers) into text; TTY streams pass through. */
export function demuxDockerLogs(buf: Buffer): string {
  const parts: Buffer[] = [];
  let i = 0;
  while (
    i + 8 <= buf.length &&
    (buf[i] === 0 || buf[i] === 1 || buf[i] === 2) &&
    buf[i + 1] === 0 &&
    buf[i + 2] === 0 &&
    buf[i + 3] === 0
  ) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  if (i === 0) return buf.toString("utf8");
  return Buffer.concat(parts).toString("utf8");
}

interface DeclaredLimits {
  NanoCpus: number;
  Memory: number;
  MemorySwap: number;
  /** Which limits a squeeze changed (only those are restored). */
  cpu: boolean;
  memory: boolean;
}

interface SavedEndpoint {
  network: string;
  aliases?: string[];
  ipv4?: string;
}

export class DockerDriver implements ChaosDriver {
  readonly name = "docker" as const;
  private readonly docker: Docker;
  /** Endpoints removed by disconnect(), per container, so reconnect() restores aliases and IPs. */
  private readonly detached = new Map<string, SavedEndpoint[]>();
  /** Limits before the first squeeze, per container. */
  private readonly declaredLimits = new Map<string, DeclaredLimits>();
  private caps?: Set<DriverCapability>;

  constructor(
    private readonly outputs: StackOutputs,
    docker?: Docker,
  ) {
    this.docker = docker ?? new Docker();
  }

  private target(role: Role): ChaosTarget & { containers: string[] } {
    const t = this.outputs.chaosTargets[role];
    if (!t || t.driver !== "docker" || !t.containers) {
      throw new Error(`docker driver: outputs.chaosTargets.${role} has no docker containers`);
    }
    return t as ChaosTarget & { containers: string[] };
  }

  private names(ref: InstanceRef): string[] {
    const all = this.target(ref.role).containers;
    if (ref.index === undefined) return all;
    if (!Number.isInteger(ref.index) || ref.index < 0 || ref.index >= all.length) {
      throw new Error(
        `docker driver: ${ref.role} has ${all.length} container(s), index ${ref.index} is out of range`,
      );
    }
    return [all[ref.index]];
  }

  count(role: Role): number {
    return this.outputs.chaosTargets[role]?.containers?.length ?? 0;
  }

  private async each(
    ref: InstanceRef,
    fn: (c: Docker.Container, name: string) => Promise<unknown>,
  ): Promise<void> {
    await Promise.all(this.names(ref).map((n) => fn(this.docker.getContainer(n), n)));
  }

  private async waitState(
    name: string,
    want: (s: Docker.ContainerInspectInfo["State"]) => boolean,
    what: string,
  ) {
    const deadline = Date.now() + 30000;
    for (;;) {
      const s = (await this.docker.getContainer(name).inspect()).State;
      if (want(s)) return;
      if (Date.now() > deadline) throw new Error(`docker driver: ${name} did not become ${what} within 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async kill(ref: InstanceRef, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    await this.each(ref, async (c, n) => {
      const s = (await c.inspect()).State;
      if (!s.Running) return;
      if (s.Paused) await c.unpause();
      await c.kill({ signal });
      // A restart policy may bring the container back at once: a new start time also proves the kill.
      await this.waitState(n, (st) => !st.Running || st.StartedAt !== s.StartedAt, "stopped");
    });
  }

  async start(ref: InstanceRef): Promise<void> {
    await this.each(ref, async (c, n) => {
      const s = (await c.inspect()).State;
      if (s.Paused) await c.unpause();
      else if (!s.Running) await c.start();
      await this.waitState(n, (st) => st.Running && !st.Paused, "running");
    });
  }

  async restart(ref: InstanceRef): Promise<void> {
    await this.each(ref, async (c, n) => {
      await c.restart({ t: 5 });
      await this.waitState(n, (st) => st.Running && !st.Paused, "running");
    });
  }

  async pause(ref: InstanceRef): Promise<void> {
    await this.each(ref, (c) => c.pause());
  }

  async unpause(ref: InstanceRef): Promise<void> {
    await this.each(ref, async (c) => {
      if ((await c.inspect()).State.Paused) await c.unpause();
    });
  }

  /** Disconnects the container from every stack network (outputs.chaosTargets[role].networks). */
  async disconnect(ref: InstanceRef): Promise<void> {
    const stackNets = new Set(this.target(ref.role).networks ?? []);
    if (stackNets.size === 0)
      throw new Error(`docker driver: outputs.chaosTargets.${ref.role}.networks is empty`);
    await this.each(ref, async (c, n) => {
      const info = await c.inspect();
      const saved: SavedEndpoint[] = this.detached.get(n) ?? [];
      for (const [net, ep] of Object.entries(info.NetworkSettings.Networks)) {
        if (!stackNets.has(net)) continue;
        // Docker adds the short container id as an alias itself; keep only declared ones.
        const aliases = (ep.Aliases ?? []).filter((a: string) => !info.Id.startsWith(a));
        saved.push({ network: net, aliases, ipv4: ep.IPAMConfig?.IPv4Address || undefined });
        await this.docker.getNetwork(net).disconnect({ Container: n, Force: true });
      }
      this.detached.set(n, saved);
    });
  }

  async reconnect(ref: InstanceRef): Promise<void> {
    await this.each(ref, async (c, n) => {
      for (const ep of this.detached.get(n) ?? []) {
        await this.docker.getNetwork(ep.network).connect({
          Container: n,
          EndpointConfig: { Aliases: ep.aliases, IPAMConfig: ep.ipv4 ? { IPv4Address: ep.ipv4 } : undefined },
        });
      }
      this.detached.delete(n);
    });
  }

  async squeeze(ref: InstanceRef, limits: ResourceLimits | undefined): Promise<void> {
    await this.each(ref, async (c, n) => {
      let declared = this.declaredLimits.get(n);
      if (!declared) {
        const h = (await c.inspect()).HostConfig;
        declared = {
          NanoCpus: h.NanoCpus ?? 0,
          Memory: h.Memory ?? 0,
          MemorySwap: h.MemorySwap ?? 0,
          cpu: false,
          memory: false,
        };
        this.declaredLimits.set(n, declared);
      }
      if (limits === undefined) {
        await this.restoreLimits(c, declared);
        this.declaredLimits.delete(n);
        return;
      }
      const upd: Record<string, number> = {};
      if (limits.cpus !== undefined) {
        upd.NanoCpus = Math.round(limits.cpus * 1e9);
        declared.cpu = true;
      }
      if (limits.memoryBytes !== undefined) {
        upd.Memory = limits.memoryBytes;
        upd.MemorySwap = limits.memoryBytes; // no swap: a memory squeeze must bite
        declared.memory = true;
      }
      await c.update(upd);
    });
  }

  /**
   * Docker cannot unset a limit in an update (0 means "unchanged"), so an unlimited declared value is
   * restored as the host's total (memory) or all host CPUs. On cgroup v1 the swap limit must be raised
   * before the memory limit, hence two updates.
   */
  private async restoreLimits(c: Docker.Container, d: DeclaredLimits): Promise<void> {
    if (d.cpu) await c.update({ NanoCpus: d.NanoCpus || (await this.hostCpus()) * 1e9 });
    if (!d.memory) return;
    const total = (await this.docker.info()).MemTotal as number;
    const mem = d.Memory || total;
    const swap = d.Memory
      ? d.MemorySwap > 0
        ? d.MemorySwap
        : d.MemorySwap < 0
          ? total * 2
          : d.Memory * 2
      : total * 2;
    const current = (await c.inspect()).HostConfig.Memory ?? 0;
    await c.update({ Memory: current, MemorySwap: Math.max(swap, current) });
    await c.update({ Memory: mem, MemorySwap: swap });
  }

  private async hostCpus(): Promise<number> {
    return (await this.docker.info()).NCPU as number;
  }

  private async nsenter(name: string, cmd: string[]): Promise<string> {
    const pid = (await this.docker.getContainer(name).inspect()).State.Pid;
    if (!pid) throw new Error(`docker driver: ${name} is not running; cannot change its link`);
    const { stdout } = await run("nsenter", ["-t", String(pid), "-n", ...cmd]);
    return stdout;
  }

  private async interfaces(name: string): Promise<string[]> {
    const out = await this.nsenter(name, ["ip", "-o", "link", "show"]);
    return out
      .split("\n")
      .map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1])
      .filter((i): i is string => !!i && i !== "lo");
  }

  async impairLink(ref: InstanceRef, impairment: LinkImpairment | undefined): Promise<void> {
    const caps = await this.capabilities();
    await this.each(ref, async (_c, n) => {
      for (const dev of await this.interfaces(n)) {
        if (impairment === undefined) {
          await this.nsenter(n, ["tc", "qdisc", "del", "dev", dev, "root"]).catch(() => undefined);
          continue;
        }
        if (caps.has("link-delay")) {
          const args = ["tc", "qdisc", "replace", "dev", dev, "root", "netem"];
          if (impairment.delayMs) args.push("delay", `${impairment.delayMs}ms`);
          if (impairment.lossPercent) args.push("loss", `${impairment.lossPercent}%`);
          await this.nsenter(n, args);
        } else if (impairment.delayMs) {
          throw new Error("docker driver: latency needs the kernel's sch_netem qdisc, which this host lacks");
        }
      }
      if (!caps.has("link-delay")) {
        // Loss without netem: a random-drop rule on both directions of the container's namespace.
        for (const chain of ["INPUT", "OUTPUT"]) {
          const rule = ["-m", "statistic", "--mode", "random", "--probability"];
          const listed = await this.nsenter(n, ["iptables", "-S", chain]);
          for (const line of listed.split("\n").filter((l) => l.includes(RULE_COMMENT))) {
            await this.nsenter(n, [
              "iptables",
              ...line
                .replace(/^-A/, "-D")
                .split(/\s+/)
                .map((s) => s.replace(/"/g, "")),
            ]);
          }
          if (impairment?.lossPercent) {
            const p = String(impairment.lossPercent / 100);
            await this.nsenter(n, [
              "iptables",
              "-A",
              chain,
              ...rule,
              p,
              "-m",
              "comment",
              "--comment",
              RULE_COMMENT,
              "-j",
              "DROP",
            ]);
          }
        }
      }
    });
  }

  /** Latency toxics on both streams of every proxy of the stack's link proxy; `undefined` removes them. */
  async proxyLatency(latency: LinkLatency | undefined): Promise<void> {
    const lp = this.outputs.linkProxy;
    if (!lp)
      throw new Error("docker driver: the stack has no link proxy (outputs.linkProxy; linkProxyEnabled)");
    await new ToxiproxyClient(lp.apiUrl).setLatency(lp.proxies, latency);
  }

  /** Removes the container and creates it again from its own definition; named volumes survive. */
  async recreate(ref: InstanceRef): Promise<void> {
    for (const n of this.names(ref)) {
      const c = this.docker.getContainer(n);
      const info = await c.inspect();
      const nets = Object.entries(info.NetworkSettings.Networks);
      // Files written into the container after creation (e.g. configs the IaC uploads before start) are
      // not part of its definition: carry them over, except what lives on mounts (volumes persist).
      if (info.State.Running) await c.kill({ signal: "SIGKILL" }).catch(() => undefined);
      const carried = await this.changedFiles(c, info);
      await c.remove({ force: true });
      const [first, ...rest] = nets;
      const endpoint = ([, ep]: [string, Docker.NetworkInfo]) => ({
        Aliases: (ep.Aliases ?? []).filter((a: string) => !info.Id.startsWith(a)),
        IPAMConfig: ep.IPAMConfig ?? undefined,
      });
      const created = await this.docker.createContainer({
        name: n,
        ...info.Config,
        HostConfig: info.HostConfig,
        NetworkingConfig: first ? { EndpointsConfig: { [first[0]]: endpoint(first) } } : undefined,
      });
      for (const net of rest) {
        await this.docker.getNetwork(net[0]).connect({ Container: n, EndpointConfig: endpoint(net) });
      }
      for (const f of carried) await created.putArchive(f.tar, { path: f.dir });
      await created.start();
      await this.waitState(n, (st) => st.Running, "running");
    }
  }

  /** Top-most added/modified paths of the container's own layer (not under a mount), as tar archives. */
  private async changedFiles(
    c: Docker.Container,
    info: Docker.ContainerInspectInfo,
  ): Promise<{ dir: string; tar: Buffer }[]> {
    const changes = ((await c.changes()) ?? []) as { Path: string; Kind: number }[];
    const mounts = (info.Mounts ?? []).map((m) => m.Destination);
    const under = (p: string, d: string) => p === d || p.startsWith(d.endsWith("/") ? d : `${d}/`);
    const paths = changes
      .filter((ch) => ch.Kind !== 2 && !mounts.some((m) => under(ch.Path, m)))
      .map((ch) => ch.Path);
    const set = new Set(paths);
    const top = paths.filter((p) => {
      for (let d = posix.dirname(p); d !== "/"; d = posix.dirname(d)) if (set.has(d)) return false;
      return true;
    });
    const out: { dir: string; tar: Buffer }[] = [];
    for (const p of top) {
      const stream = (await c.getArchive({ path: p })) as unknown as NodeJS.ReadableStream;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
      out.push({ dir: posix.dirname(p), tar: Buffer.concat(chunks) });
    }
    return out;
  }

  async capabilities(): Promise<Set<DriverCapability>> {
    if (this.caps) return this.caps;
    const caps = new Set<DriverCapability>(["partition", "squeeze", "recreate"]);
    if (this.outputs.linkProxy) caps.add("link-proxy");
    // Probe the kernel once: netem in a throwaway namespace of our own.
    const ns = `pg-chaos-probe-${process.pid}`;
    try {
      await run("ip", ["netns", "add", ns]);
      await run("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
      const tc = await run("ip", [
        "netns",
        "exec",
        ns,
        "tc",
        "qdisc",
        "add",
        "dev",
        "lo",
        "root",
        "netem",
        "delay",
        "1ms",
      ])
        .then(() => true)
        .catch(() => false);
      if (tc) caps.add("link-delay");
      const ipt = await run("ip", [
        "netns",
        "exec",
        ns,
        "iptables",
        "-A",
        "OUTPUT",
        "-m",
        "statistic",
        "--mode",
        "random",
        "--probability",
        "0.5",
        "-j",
        "DROP",
      ])
        .then(() => true)
        .catch(() => false);
      if (tc || ipt) caps.add("link-loss");
    } catch {
      // No `ip netns` (not root, or not on the Docker host): no link impairment.
    } finally {
      await run("ip", ["netns", "del", ns]).catch(() => undefined);
    }
    this.caps = caps;
    return caps;
  }

  statsSource(): "docker" {
    return "docker";
  }

  /** One-shot Docker stats: memory without the page cache's inactive files, cumulative CPU, CFS counters. */
  async stats(ref: Required<InstanceRef>): Promise<InstanceStats | undefined> {
    const name = this.outputs.chaosTargets[ref.role]?.containers?.[ref.index];
    if (name === undefined) return undefined;
    try {
      const s = (await this.docker.getContainer(name).stats({
        stream: false,
        "one-shot": true,
      } as never)) as unknown as any;
      const cache = s.memory_stats?.stats?.inactive_file ?? s.memory_stats?.stats?.total_inactive_file ?? 0;
      return {
        instance: name,
        rssBytes: Math.max(0, (s.memory_stats?.usage ?? 0) - cache),
        cpuSeconds: (s.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9,
        throttle: dockerThrottling(s),
      };
    } catch {
      return undefined; // container stopped meanwhile (chaos); the gap shows in the chart
    }
  }

  /** `docker logs --since/--until` (with a second of margin each side) of the role's containers. */
  async logs(role: Role, window: TimeWindow): Promise<InstanceLog[]> {
    const t = this.outputs.chaosTargets[role];
    const out: InstanceLog[] = [];
    for (const name of t?.driver === "docker" ? (t.containers ?? []) : []) {
      try {
        const buf = (await this.docker.getContainer(name).logs({
          stdout: true,
          stderr: true,
          timestamps: true,
          since: Math.floor(window.sinceMs / 1000) - 1,
          until: Math.ceil(window.untilMs / 1000) + 1,
          follow: false,
        })) as unknown as Buffer;
        out.push({
          instance: name,
          text: demuxDockerLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf))),
        });
      } catch (e) {
        out.push({ instance: name, error: (e as Error).message });
      }
    }
    return out;
  }

  async running(role: Role): Promise<boolean[]> {
    const names = this.outputs.chaosTargets[role]?.containers ?? [];
    return Promise.all(
      names.map(async (n) => {
        try {
          const s = (await this.docker.getContainer(n).inspect()).State;
          return s.Running && !s.Paused;
        } catch {
          return false;
        }
      }),
    );
  }
}
