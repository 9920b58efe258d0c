// The services' own cgroup CPU throttling metrics: the pure parsers, and readCgroupCpu plus the
// prom-client collector on fixture file trees (v1 host, v1 inside a container, v2, no quota, nothing
// readable).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import client from "prom-client";
import {
  CGROUP_CPU_METRICS,
  cpuStatDirs,
  parseCfsQuota,
  parseCpuMax,
  parseCpuStat,
  parseProcCgroup,
  readCgroupCpu,
  registerCgroupCpuMetrics,
} from "../../services/common/cgroup-cpu";

const V1_STAT = "nr_periods 1200\nnr_throttled 300\nthrottled_time 4500000000\nnr_bursts 0\nburst_time 0\n";
const V2_STAT =
  "usage_usec 900000\nuser_usec 600000\nsystem_usec 300000\nnr_periods 800\nnr_throttled 200\nthrottled_usec 2500000\n";
const HYBRID = "9:name=systemd:/\n4:memory:/x\n2:cpuacct:/\n1:cpu:/docker/abc\n0::/\n";

/** Writes `files` (relative path → content) under a fresh temporary root. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "cgroup-cpu-"));
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
  roots.push(root);
  return root;
}
const roots: string[] = [];

async function scrape(root: string): Promise<string> {
  const registry = new client.Registry();
  registerCgroupCpuMetrics(registry, { root });
  return registry.metrics();
}

/** The sample lines of a metrics text (no HELP/TYPE). */
const samples = (text: string) => text.split("\n").filter((l) => l && !l.startsWith("#"));

describe("cgroup CPU throttling (services/common/cgroup-cpu)", () => {
  after(() => {
    for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
  });

  describe("parseProcCgroup", () => {
    it("prefers the v1 hierarchy holding `cpu` (hybrid hosts also list 0::)", () => {
      assert.deepEqual(parseProcCgroup(HYBRID), [
        { version: 1, controllers: "cpu", path: "/docker/abc" },
        { version: 2, controllers: "", path: "/" },
      ]);
      assert.deepEqual(parseProcCgroup("4:cpu,cpuacct:/docker/abc\n3:cpuset:/docker/abc\n"), [
        { version: 1, controllers: "cpu,cpuacct", path: "/docker/abc" },
      ]);
    });

    it("reads v2 (0::path), keeps ':' inside a path, ignores cpuacct alone and junk", () => {
      assert.deepEqual(parseProcCgroup("0::/system.slice/a:b.service\n"), [
        { version: 2, controllers: "", path: "/system.slice/a:b.service" },
      ]);
      assert.deepEqual(parseProcCgroup("2:cpuacct:/\nnot a line\n\n"), []);
    });
  });

  describe("cpuStatDirs", () => {
    it("v1: the cgroup under each candidate mount, then the mounts themselves (in-container)", () => {
      assert.deepEqual(cpuStatDirs({ version: 1, controllers: "cpu,cpuacct", path: "/docker/abc" }, "/r"), [
        "/r/sys/fs/cgroup/cpu,cpuacct/docker/abc",
        "/r/sys/fs/cgroup/cpu/docker/abc",
        "/r/sys/fs/cgroup/cpu,cpuacct",
        "/r/sys/fs/cgroup/cpu",
      ]);
    });

    it("v2: the cgroup, then the mount; a root path gives one directory", () => {
      assert.deepEqual(cpuStatDirs({ version: 2, controllers: "", path: "/a/b" }, "/r"), [
        "/r/sys/fs/cgroup/a/b",
        "/r/sys/fs/cgroup",
      ]);
      assert.deepEqual(cpuStatDirs({ version: 2, controllers: "", path: "/" }, "/"), ["/sys/fs/cgroup"]);
    });
  });

  describe("parsers", () => {
    it("parseCpuStat: v1 throttled_time in ns, v2 throttled_usec in µs", () => {
      assert.deepEqual(parseCpuStat(V1_STAT), {
        periods: 1200,
        throttledPeriods: 300,
        throttledSeconds: 4.5,
      });
      assert.deepEqual(parseCpuStat(V2_STAT), { periods: 800, throttledPeriods: 200, throttledSeconds: 2.5 });
    });

    it("parseCpuStat: undefined when a field is missing (v2 without the cpu controller) or not a number", () => {
      assert.equal(parseCpuStat("usage_usec 10\nuser_usec 5\nsystem_usec 5\n"), undefined);
      assert.equal(parseCpuStat("nr_periods 1\nnr_throttled x\nthrottled_time 0\n"), undefined);
      assert.equal(parseCpuStat(""), undefined);
    });

    it("parseCfsQuota: quota/period in cores, -1 → 0, garbage → undefined", () => {
      assert.equal(parseCfsQuota("50000\n", "100000\n"), 0.5);
      assert.equal(parseCfsQuota("200000", "100000"), 2);
      assert.equal(parseCfsQuota("-1\n", "100000\n"), 0);
      assert.equal(parseCfsQuota("", "100000"), undefined);
      assert.equal(parseCfsQuota("5000", "0"), undefined);
    });

    it("parseCpuMax: `max 100000` → 0, `5000 100000` → 0.05, garbage → undefined", () => {
      assert.equal(parseCpuMax("max 100000\n"), 0);
      assert.equal(parseCpuMax("5000 100000\n"), 0.05);
      assert.equal(parseCpuMax("max"), undefined);
    });
  });

  describe("readCgroupCpu and the collector on fixture trees", () => {
    it("v1 host: the cgroup named by /proc/self/cgroup", async () => {
      const root = tree({
        "proc/self/cgroup": "4:cpu,cpuacct:/pg/one\n",
        "sys/fs/cgroup/cpu,cpuacct/pg/one/cpu.stat": V1_STAT,
        "sys/fs/cgroup/cpu,cpuacct/pg/one/cpu.cfs_quota_us": "50000\n",
        "sys/fs/cgroup/cpu,cpuacct/pg/one/cpu.cfs_period_us": "100000\n",
        // The hierarchy root has other numbers: it must not be chosen.
        "sys/fs/cgroup/cpu,cpuacct/cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n",
      });
      const c = readCgroupCpu(root)!;
      assert.equal(c.version, 1);
      assert.equal(c.dir, path.join(root, "sys/fs/cgroup/cpu,cpuacct/pg/one"));
      assert.deepEqual(c.stat, { periods: 1200, throttledPeriods: 300, throttledSeconds: 4.5 });
      assert.equal(c.limitCores, 0.5);
      assert.deepEqual(samples(await scrape(root)), [
        `${CGROUP_CPU_METRICS.periods} 1200`,
        `${CGROUP_CPU_METRICS.throttledPeriods} 300`,
        `${CGROUP_CPU_METRICS.throttledSeconds} 4.5`,
        `${CGROUP_CPU_METRICS.limitCores} 0.5`,
      ]);
    });

    it("v1 inside a container: the host path is absent, so the mount itself (the container's cgroup)", () => {
      const root = tree({
        "proc/self/cgroup": "12:pids:/docker/abc\n3:cpu,cpuacct:/docker/abc\n",
        "sys/fs/cgroup/cpu/cpu.stat": V1_STAT,
        "sys/fs/cgroup/cpu/cpu.cfs_quota_us": "150000",
        "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000",
      });
      const c = readCgroupCpu(root)!;
      assert.equal(c.dir, path.join(root, "sys/fs/cgroup/cpu"));
      assert.equal(c.limitCores, 1.5);
    });

    it("v2: cpu.stat and cpu.max of the unified cgroup", () => {
      const root = tree({
        "proc/self/cgroup": "0::/system.slice/beamline.service\n",
        "sys/fs/cgroup/system.slice/beamline.service/cpu.stat": V2_STAT,
        "sys/fs/cgroup/system.slice/beamline.service/cpu.max": "25000 100000\n",
      });
      const c = readCgroupCpu(root)!;
      assert.equal(c.version, 2);
      assert.deepEqual(c.stat, { periods: 800, throttledPeriods: 200, throttledSeconds: 2.5 });
      assert.equal(c.limitCores, 0.25);
    });

    it("no quota: counters as read (periods do not grow) and a limit of 0", async () => {
      const root = tree({
        "proc/self/cgroup": "0::/\n",
        "sys/fs/cgroup/cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n",
        "sys/fs/cgroup/cpu.max": "max 100000\n",
      });
      assert.deepEqual(samples(await scrape(root)), [
        `${CGROUP_CPU_METRICS.periods} 0`,
        `${CGROUP_CPU_METRICS.throttledPeriods} 0`,
        `${CGROUP_CPU_METRICS.throttledSeconds} 0`,
        `${CGROUP_CPU_METRICS.limitCores} 0`,
      ]);
    });

    it("an unreadable quota file leaves only the limit gauge out", async () => {
      const root = tree({ "proc/self/cgroup": "1:cpu:/\n", "sys/fs/cgroup/cpu/cpu.stat": V1_STAT });
      assert.equal(readCgroupCpu(root)!.limitCores, undefined);
      const s = samples(await scrape(root));
      assert.equal(s.length, 3);
      assert.ok(!s.some((l) => l.startsWith(CGROUP_CPU_METRICS.limitCores)));
    });

    it("missing files: nothing is exported and nothing throws", async () => {
      for (const root of [
        tree({}),
        tree({ "proc/self/cgroup": "1:cpu:/x\n" }),
        tree({ "proc/self/cgroup": "0::/x\n", "sys/fs/cgroup/x/cpu.stat": "usage_usec 5\n" }),
      ]) {
        assert.equal(readCgroupCpu(root), undefined);
        const text = await scrape(root);
        assert.deepEqual(samples(text), [], text);
      }
    });

    it("re-reads /proc/self/cgroup at each scrape (a moved process reports its new cgroup)", async () => {
      const root = tree({
        "proc/self/cgroup": "1:cpu:/\n",
        "sys/fs/cgroup/cpu/cpu.stat": "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n",
        "sys/fs/cgroup/cpu/slow/cpu.stat": V1_STAT,
      });
      const registry = new client.Registry();
      registerCgroupCpuMetrics(registry, { root });
      assert.match(await registry.metrics(), /^process_cgroup_cpu_periods_total 0$/m);
      fs.writeFileSync(path.join(root, "proc/self/cgroup"), "1:cpu:/slow\n");
      assert.match(await registry.metrics(), /^process_cgroup_cpu_periods_total 1200$/m);
      fs.writeFileSync(path.join(root, "proc/self/cgroup"), "1:cpu:/gone\n");
      fs.rmSync(path.join(root, "sys"), { recursive: true });
      assert.deepEqual(samples(await registry.metrics()), []);
    });

    it("reads this host's cgroup (Linux with /sys/fs/cgroup mounted)", () => {
      const c = readCgroupCpu();
      assert.ok(c, "no readable cpu.stat for this process under /sys/fs/cgroup");
      assert.ok(c.stat.periods >= c.stat.throttledPeriods);
      assert.ok(c.limitCores !== undefined && c.limitCores >= 0);
    });
  });
});
