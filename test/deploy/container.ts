// docker:index/container:Container, created through the Engine API following the provider's documented
// field semantics (see README.md for the list of honoured fields and what is not emulated).
import fs from "node:fs";
import type Docker from "dockerode";
import tar from "tar-stream";
import { HARNESS_LABEL, labelMap } from "./labels";
import { autoName, demuxLogs, durationNs, mbToBytes, nanoCpus, tail, uploadMode } from "./values";

type Labels = { label: string; value: string }[];

export interface ContainerInputs {
  image: string;
  name?: string;
  envs?: string[];
  command?: string[];
  entrypoints?: string[];
  hostname?: string;
  domainname?: string;
  user?: string;
  workingDir?: string;
  labels?: Labels;
  ports?: { internal: number; external?: number; ip?: string; protocol?: string }[];
  publishAllPorts?: boolean;
  networkMode?: string;
  networksAdvanced?: { name: string; aliases?: string[]; ipv4Address?: string; ipv6Address?: string }[];
  hosts?: { host: string; ip: string }[];
  dns?: string[];
  uploads?: {
    file: string;
    content?: string;
    contentBase64?: string;
    source?: string;
    executable?: boolean;
    permissions?: string;
  }[];
  mounts?: {
    type: string;
    target: string;
    source?: string;
    readOnly?: boolean;
    volumeOptions?: {
      noCopy?: boolean;
      driverName?: string;
      driverOptions?: Record<string, string>;
      labels?: Labels;
    };
    tmpfsOptions?: { sizeBytes?: number; mode?: number };
    bindOptions?: { propagation?: string };
  }[];
  volumes?: {
    volumeName?: string;
    hostPath?: string;
    containerPath?: string;
    readOnly?: boolean;
    fromContainer?: string;
  }[];
  tmpfs?: Record<string, string>;
  healthcheck?: {
    tests: string[];
    interval?: string;
    timeout?: string;
    retries?: number;
    startPeriod?: string;
    startInterval?: string;
  };
  memory?: number;
  memoryReservation?: number;
  memorySwap?: number;
  cpuShares?: number;
  cpuSet?: string;
  cpus?: string;
  cpuPeriod?: number;
  cpuQuota?: number;
  shmSize?: number;
  ulimits?: { name: string; soft: number; hard: number }[];
  capabilities?: { adds?: string[]; drops?: string[] };
  privileged?: boolean;
  readOnly?: boolean;
  init?: boolean;
  restart?: string;
  maxRetryCount?: number;
  rm?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  tty?: boolean;
  stdinOpen?: boolean;
  logDriver?: string;
  logOpts?: Record<string, string>;
  sysctls?: Record<string, string>;
  start?: boolean;
  attach?: boolean;
  logs?: boolean;
  mustRun?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  containerReadRefreshTimeoutMilliseconds?: number;
}

const RESTART_POLICIES = ["no", "on-failure", "always", "unless-stopped"];

/** The Engine API create body for the provider inputs (pure, so it can be unit tested). */
export function createOptions(
  inputs: ContainerInputs,
  name: string,
  stack: string,
): Docker.ContainerCreateOptions {
  const restart = inputs.restart ?? "no";
  if (!RESTART_POLICIES.includes(restart)) {
    throw new Error(
      `Container ${name}: restart must be one of ${RESTART_POLICIES.join(", ")}, got ${restart}`,
    );
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of inputs.ports ?? []) {
    const key = `${p.internal}/${p.protocol ?? "tcp"}`;
    exposed[key] = {};
    // Documented defaults: ip 0.0.0.0, a random free port when external is not given.
    (bindings[key] ??= []).push({
      HostIp: p.ip ?? "0.0.0.0",
      HostPort: p.external ? String(p.external) : "",
    });
  }
  const hc = inputs.healthcheck;
  const nets = inputs.networksAdvanced ?? [];
  // Attach to the first advanced network at create time (not to the default bridge) and to the others
  // before start, so the process never starts half-connected.
  const networkMode = inputs.networkMode ?? (nets.length > 0 ? nets[0].name : "bridge");
  const firstEndpoint =
    !inputs.networkMode && nets.length > 0
      ? {
          [nets[0].name]: {
            Aliases: nets[0].aliases,
            IPAMConfig:
              nets[0].ipv4Address || nets[0].ipv6Address
                ? { IPv4Address: nets[0].ipv4Address, IPv6Address: nets[0].ipv6Address }
                : undefined,
          },
        }
      : undefined;
  const binds = (inputs.volumes ?? [])
    .filter((v) => !v.fromContainer)
    .map((v) => {
      const src = v.volumeName ?? v.hostPath;
      if (!src || !v.containerPath) {
        throw new Error(`Container ${name}: volumes entries need containerPath and volumeName or hostPath`);
      }
      return `${src}:${v.containerPath}${v.readOnly ? ":ro" : ""}`;
    });
  return {
    name,
    Image: inputs.image,
    Env: inputs.envs,
    Cmd: inputs.command,
    Entrypoint: inputs.entrypoints,
    Hostname: inputs.hostname,
    Domainname: inputs.domainname,
    User: inputs.user,
    WorkingDir: inputs.workingDir,
    Labels: labelMap(inputs.labels, stack),
    ExposedPorts: exposed,
    Tty: inputs.tty ?? false,
    OpenStdin: inputs.stdinOpen ?? false,
    StopSignal: inputs.stopSignal,
    StopTimeout: inputs.stopTimeout,
    Healthcheck: hc
      ? {
          Test: hc.tests,
          Interval: durationNs(hc.interval, "healthcheck.interval"),
          Timeout: durationNs(hc.timeout, "healthcheck.timeout"),
          Retries: hc.retries ?? 0,
          StartPeriod: durationNs(hc.startPeriod, "healthcheck.startPeriod"),
        }
      : undefined,
    HostConfig: {
      NetworkMode: networkMode,
      PortBindings: bindings,
      PublishAllPorts: inputs.publishAllPorts ?? false,
      Binds: binds.length ? binds : undefined,
      VolumesFrom: (inputs.volumes ?? []).filter((v) => v.fromContainer).map((v) => v.fromContainer!),
      Mounts: (inputs.mounts ?? []).map((m): Docker.MountSettings => ({
        Type: m.type as Docker.MountType,
        Source: m.source ?? "",
        Target: m.target,
        ReadOnly: m.readOnly ?? false,
        VolumeOptions: m.volumeOptions
          ? {
              NoCopy: m.volumeOptions.noCopy ?? false,
              Labels: labelMap(m.volumeOptions.labels, stack),
              DriverConfig: {
                Name: m.volumeOptions.driverName ?? "local",
                Options: m.volumeOptions.driverOptions ?? {},
              },
            }
          : undefined,
        // Docker's own defaults for an unset tmpfs size (unlimited) and mode (1777).
        TmpfsOptions: m.tmpfsOptions
          ? { SizeBytes: m.tmpfsOptions.sizeBytes ?? 0, Mode: m.tmpfsOptions.mode ?? 0o1777 }
          : undefined,
        BindOptions: m.bindOptions?.propagation
          ? { Propagation: m.bindOptions.propagation as Docker.MountPropagation }
          : undefined,
      })),
      Tmpfs: inputs.tmpfs,
      ExtraHosts: (inputs.hosts ?? []).map((h) => `${h.host}:${h.ip}`),
      Dns: inputs.dns,
      Memory: mbToBytes(inputs.memory),
      MemoryReservation: mbToBytes(inputs.memoryReservation),
      MemorySwap: mbToBytes(inputs.memorySwap),
      CpuShares: inputs.cpuShares,
      CpusetCpus: inputs.cpuSet,
      NanoCpus: nanoCpus(inputs.cpus),
      CpuPeriod: inputs.cpus ? undefined : inputs.cpuPeriod,
      CpuQuota: inputs.cpus ? undefined : inputs.cpuQuota,
      ShmSize: mbToBytes(inputs.shmSize),
      Ulimits: (inputs.ulimits ?? []).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      CapAdd: inputs.capabilities?.adds,
      CapDrop: inputs.capabilities?.drops,
      Privileged: inputs.privileged ?? false,
      ReadonlyRootfs: inputs.readOnly ?? false,
      Init: inputs.init,
      AutoRemove: inputs.rm ?? false,
      RestartPolicy: {
        Name: restart,
        MaximumRetryCount: restart === "on-failure" ? (inputs.maxRetryCount ?? 0) : 0,
      },
      LogConfig: inputs.logDriver ? { Type: inputs.logDriver, Config: inputs.logOpts ?? {} } : undefined,
      Sysctls: inputs.sysctls,
    },
    NetworkingConfig: firstEndpoint ? { EndpointsConfig: firstEndpoint } : undefined,
  };
}

/** A tar archive holding every upload at its absolute path (relative to "/"), with its mode. */
export async function uploadsArchive(uploads: NonNullable<ContainerInputs["uploads"]>): Promise<Buffer> {
  const pack = tar.pack();
  for (const u of uploads) {
    const given = [u.content, u.contentBase64, u.source].filter((x) => x !== undefined).length;
    if (given !== 1) {
      throw new Error(`uploads[${u.file}]: exactly one of content, contentBase64 or source must be set`);
    }
    if (!u.file.startsWith("/")) throw new Error(`uploads.file must be an absolute path, got ${u.file}`);
    const body =
      u.content !== undefined
        ? Buffer.from(u.content, "utf8")
        : u.contentBase64 !== undefined
          ? Buffer.from(u.contentBase64, "base64")
          : fs.readFileSync(u.source!);
    pack.entry(
      { name: u.file.replace(/^\/+/, ""), mode: uploadMode(u), mtime: new Date(), uid: 0, gid: 0 },
      body,
    );
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function containerLogs(c: Docker.Container, tty: boolean): Promise<string> {
  const buf = (await c.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return demuxLogs(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)), tty);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for Health.Status "healthy"; fails fast on "unhealthy" or exit, with the logs in the error. */
async function waitHealthy(c: Docker.Container, name: string, timeoutS: number, tty: boolean): Promise<void> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const info = await c.inspect();
    const health = info.State.Health;
    if (!info.Config.Healthcheck?.Test || info.Config.Healthcheck.Test[0] === "NONE") {
      throw new Error(`Container ${name}: wait is true but the container has no healthcheck`);
    }
    const why =
      !info.State.Running && !info.State.Restarting
        ? `exited with code ${info.State.ExitCode}`
        : health?.Status === "unhealthy"
          ? "is unhealthy"
          : Date.now() > deadline
            ? `was not healthy within waitTimeout ${timeoutS}s (status ${health?.Status ?? "none"})`
            : undefined;
    if (health?.Status === "healthy" && info.State.Running) return;
    if (why) {
      const probes = (health?.Log ?? []).slice(-3).map((l) => `  exit ${l.ExitCode}: ${l.Output.trim()}`);
      throw new Error(
        `Container ${name} ${why}.\nLast health checks:\n${probes.join("\n") || "  (none)"}\n` +
          `Last logs:\n${tail(await containerLogs(c, tty))}`,
      );
    }
    await sleep(200);
  }
}

export interface CreatedContainer {
  id: string;
  state: Record<string, unknown>;
}

export async function createContainer(
  docker: Docker,
  logical: string,
  inputs: ContainerInputs,
  stack: string,
): Promise<CreatedContainer> {
  const name = inputs.name ?? autoName(logical);
  const opts = createOptions(inputs, name, stack);
  // Named volumes that do not exist yet would be created by dockerd without labels; create them here
  // with the harness label so `down` finds them.
  const wanted = [
    ...(inputs.mounts ?? []).filter((m) => m.type === "volume" && m.source).map((m) => m.source!),
    ...(inputs.volumes ?? []).filter((v) => v.volumeName).map((v) => v.volumeName!),
  ];
  for (const vol of wanted) {
    const exists = await docker
      .getVolume(vol)
      .inspect()
      .then(() => true)
      .catch(() => false);
    if (!exists) await docker.createVolume({ Name: vol, Labels: { [HARNESS_LABEL]: stack } });
  }
  let c: Docker.Container;
  try {
    c = await docker.createContainer(opts);
  } catch (e) {
    throw new Error(`Container ${name}: create failed: ${(e as Error).message}`);
  }
  if (!inputs.networkMode) {
    for (const n of (inputs.networksAdvanced ?? []).slice(1)) {
      await docker.getNetwork(n.name).connect({
        Container: c.id,
        EndpointConfig: {
          Aliases: n.aliases,
          IPAMConfig:
            n.ipv4Address || n.ipv6Address
              ? { IPv4Address: n.ipv4Address, IPv6Address: n.ipv6Address }
              : undefined,
        },
      });
    }
  }
  if (inputs.uploads?.length) await c.putArchive(await uploadsArchive(inputs.uploads), { path: "/" });

  const tty = inputs.tty ?? false;
  let exitCode: number | undefined;
  let logs: string | undefined;
  if (inputs.start !== false) {
    await c.start();
    if (inputs.attach) {
      // attach: wait for the end of the execution; logs: keep what it printed.
      const res = (await c.wait()) as { StatusCode: number };
      exitCode = res.StatusCode;
      if (inputs.logs) logs = await containerLogs(c, tty);
    }
    if (inputs.wait) await waitHealthy(c, name, inputs.waitTimeout ?? 60, tty);
    if (inputs.mustRun !== false) {
      // mustRun (default true): the provider refuses a container that is not running after creation
      // (a one-shot container therefore needs mustRun: false).
      const deadline = Date.now() + (inputs.containerReadRefreshTimeoutMilliseconds ?? 15000);
      for (;;) {
        const s = (await c.inspect()).State;
        if (s.Running) break;
        if (!s.Restarting || Date.now() > deadline) {
          throw new Error(
            `Container ${name} exited after creation (exit code ${s.ExitCode}; mustRun is true — set ` +
              `mustRun: false for one-shot containers).\nLast logs:\n${tail(await containerLogs(c, tty))}`,
          );
        }
        await sleep(200);
      }
    }
  }

  const info = await c.inspect();
  const portsOut: { internal: number; external: number; ip: string; protocol: string }[] = [];
  for (const [key, binds] of Object.entries(info.HostConfig.PortBindings ?? {})) {
    const [internal, protocol] = key.split("/");
    const live = info.NetworkSettings.Ports?.[key] as { HostIp: string; HostPort: string }[] | undefined;
    (binds as { HostIp: string; HostPort: string }[]).forEach((b, i) => {
      const actual = live?.[i] ?? b;
      portsOut.push({
        internal: Number(internal),
        external: Number(actual.HostPort || b.HostPort),
        ip: b.HostIp || "0.0.0.0",
        protocol,
      });
    });
  }
  const networkDatas = Object.entries(info.NetworkSettings.Networks ?? {}).map(([networkName, n]) => ({
    networkName,
    ipAddress: n.IPAddress,
    ipPrefixLength: n.IPPrefixLen,
    gateway: n.Gateway,
    macAddress: n.MacAddress,
    globalIpv6Address: n.GlobalIPv6Address,
    globalIpv6PrefixLength: n.GlobalIPv6PrefixLen,
    ipv6Gateway: n.IPv6Gateway,
  }));
  return {
    id: info.Id,
    state: {
      ...inputs,
      name,
      hostname: info.Config.Hostname,
      ports: portsOut,
      networkDatas,
      bridge: "",
      exitCode: exitCode ?? (info.State.Running ? undefined : info.State.ExitCode),
      containerLogs: logs,
      labels: Object.entries(opts.Labels ?? {}).map(([label, value]) => ({ label, value })),
      restart: inputs.restart ?? "no",
      mustRun: inputs.mustRun ?? true,
      start: inputs.start ?? true,
    },
  };
}
