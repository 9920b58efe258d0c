// The kubernetes target deployed by the real engine onto a real cluster: scripts/kube-local.sh brings up a
// single-node Kubernetes v1.34.4 built from its Go modules (etcd, control plane, kubelet with containerd,
// kube-proxy, CoreDNS, a hostPath StorageClass), the CI images are imported into its containerd, and one
// `npm run prove -- --stack kube-local` deploys Pulumi.kube-local.yaml with the pulumi-kubernetes provider
// 4.25.0 (its await logic waits for the Deployments and the StatefulSet), checks the 3-node JetStream
// cluster, runs every E2E check and a load profile against the gateway's NodePort on 127.0.0.1, deletes a
// router pod and a NATS pod under load (kubernetes chaos driver), destroys the stack and checks through the
// API server that the namespace is gone. Then the cluster is torn down with nothing left.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import type { RunJournal } from "../../chaos/journal";
import { SUITES } from "../../chaos/experiments";
import { ALL_CHECKS } from "../../loadtests/e2e/index";
import type { RunReport } from "../../loadtests/report/write";
import type { ProveResult } from "../../prove/report";
import { REPO_ROOT } from "../../scripts/engine";
import { proveAccessors } from "../support/prove-run";
import { CliRun, runStackCli } from "../support/deployed-stack";

const STACK = "kube-local";
const PROFILE = "sustained";
const CHAOS = SUITES.kubernetes;
/** up ~2 min (image pulls are local; the JetStream cluster forms), E2E ~1.5 min, 15 s load, chaos ~2 min. */
const PROVE_TIMEOUT_MS = 1_500_000;

function kubeLocal(...args: string[]): string {
  const r = spawnSync("bash", ["scripts/kube-local.sh", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
  if (r.status !== 0)
    throw new Error(`kube-local.sh ${args.join(" ")} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

describe("npm run prove -- --stack kube-local: the kubernetes target on a real single-node cluster (real engine, real kubelet)", function () {
  this.timeout(PROVE_TIMEOUT_MS + 300_000);
  let cli: CliRun<ProveResult>;
  let prove: ProveResult;
  let upOutput = "";
  const { phase, phaseJson } = proveAccessors(() => cli);

  before(async function () {
    this.timeout(PROVE_TIMEOUT_MS + 240_000);
    upOutput = kubeLocal("up");
    kubeLocal("images", "--stack", STACK);
    cli = await runStackCli<ProveResult>(
      "prove",
      [...["--e2e", "all"], ...["--profiles", PROFILE, "--duration", "15s"], ...["--chaos", "kubernetes"]],
      "summary.json",
      PROVE_TIMEOUT_MS,
      STACK,
    );
    prove = cli.result;
  });

  after(function () {
    this.timeout(120_000);
    kubeLocal("down");
  });

  it("the cluster came up with its DNS and storage class", () => {
    assert.match(upOutput, /CoreDNS on [\d.]+:53, the default StorageClass/);
    assert.match(upOutput, /up: KUBECONFIG=/);
  });

  it("exits 0 with every phase passed", () => {
    assert.equal(cli.code, 0, `${prove.failures.join("\n")}\n${cli.output.slice(-3000)}`);
    assert.deepEqual(
      prove.phases.map((p) => p.name),
      ["up", "cluster", "e2e", `load ${PROFILE}`, "chaos kubernetes", "destroy"],
    );
    assert.deepEqual(
      prove.phases.filter((p) => p.status !== "passed").map((p) => `${p.name}: ${p.status} ${p.error ?? ""}`),
      [],
    );
  });

  it("up: the engine created the target's objects and the provider's await logic saw them ready", () => {
    const g = phase("up").gates.find((x) => x.name === "engine up succeeds");
    assert.ok(g?.passed, g?.detail);
    assert.match(g.detail, /^succeeded: \d+ create/);
  });

  it("cluster: the StatefulSet's 3 pods form one JetStream cluster, the intake stream on 3 replicas", () => {
    assert.deepEqual(
      phase("cluster").gates.map((g) => [g.name, g.passed]),
      [
        ["every NATS node answers its monitoring port (3)", true],
        ["route mesh: every node routes to every other node", true],
        ["JetStream meta group: one leader, every peer current", true],
        ["stream BEAMLINE_INTAKE: 3 replicas, one leader, every replica current", true],
      ],
    );
  });

  it(`E2E: all ${ALL_CHECKS.length} checks pass against the gateway's NodePort`, () => {
    const run = phaseJson<RunReport>("e2e", "summary.json");
    assert.deepEqual(
      run.e2e?.map((r) => r.id),
      ALL_CHECKS.map((c) => c.id),
    );
    assert.deepEqual(
      run.e2e?.filter((r) => !r.passed).map((r) => `${r.id}: ${r.error}`),
      [],
    );
  });

  it(`load ${PROFILE}: every gate passes`, () => {
    const p = phaseJson<RunReport>(`load ${PROFILE}`, "summary.json").profiles[0];
    assert.equal(p?.name, PROFILE);
    assert.ok(p.windows.length > 0, "no load window was measured");
    assert.deepEqual(
      p.gates.filter((g) => !g.passed).map((g) => g.detail),
      [],
    );
  });

  describe("chaos: pods deleted under load (kubernetes driver)", () => {
    let journal: RunJournal;
    before(() => {
      journal = phaseJson<RunJournal>("chaos kubernetes", "journal.json");
    });

    for (const name of CHAOS)
      it(`${name}: every gate passes, zero acked messages lost, recovery measured`, () => {
        const e = journal.experiments.find((x) => x.name === name);
        assert.ok(e, `${name} did not run (not applicable: ${JSON.stringify(journal.notApplicable)})`);
        assert.deepEqual(
          [...e.reasons, ...e.gates.filter((g) => !g.pass).map((g) => `${g.gate.kind}: ${g.detail}`)],
          [],
        );
        assert.ok(e.ledger!.acked > 0, "no durable message was acked");
        assert.deepEqual(e.ledger!.lost, []);
        assert.ok(
          e.gates.some((g) => g.gate.kind === "recovery-within" && g.pass),
          "recovery gate",
        );
      });
  });

  it("destroy: the namespace is gone (Kubernetes API), and the stack removed from the backend", () => {
    const gates = phase("destroy").gates;
    const ns = gates.find((g) => g.name.startsWith("namespace "));
    assert.ok(ns?.passed, ns?.detail);
    assert.ok(gates.find((g) => g.name === "stack removed from the backend")?.passed);
  });

  it("kube-local.sh down leaves no process, mount, interface, netns, iptables rule or file", () => {
    kubeLocal("down");
    const r = spawnSync("bash", ["scripts/kube-local.sh", "leftovers"], { cwd: REPO_ROOT, encoding: "utf8" });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /nothing left/);
    // The containerd of dockerd is untouched: docker still answers.
    execFileSync("docker", ["info"], { stdio: "ignore" });
  });
});
