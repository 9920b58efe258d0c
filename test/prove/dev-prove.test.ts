// The `dev` stack as a user gets it, deployed by the real engine in CI: Pulumi.dev.yaml unchanged except
// the parts named in scripts/dev-ci-stack.ts (each with its reason), as stack `dev-ci`, on the local images
// that carry the names `dev` pins (scripts/build-ci-images.sh). One `npm run prove` deploys it, checks the
// 3-node NATS cluster (route mesh, the R3 intake stream, one leader), runs every E2E check that needs no
// router fault injection (a test hook `dev` leaves off), a load profile, and the chaos experiments that need
// this topology: one of three NATS nodes killed until its alert fires (time to detect), and one of two
// routers killed (blast radius); then it destroys the stack.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import type { RunJournal } from "../../chaos/journal";
import { ALL_CHECKS } from "../../loadtests/e2e/index";
import type { RunReport } from "../../loadtests/report/write";
import type { ProveResult } from "../../prove/report";
import { REPO_ROOT } from "../../scripts/engine";
import {
  DEV_CI_OVERRIDES,
  DEV_CI_STACK,
  renderDevCiConfig,
  writeDevCiConfig,
} from "../../scripts/dev-ci-stack";
import { listStackObjects } from "../../scripts/stack-objects";
import { proveAccessors } from "../support/prove-run";
import { CliRun, runStackCli } from "../support/deployed-stack";

/** up ~40 s, cluster 1 s, E2E ~1 min, one 12 s profile, node-kill ~2 min (alert), router-kill-one ~40 s. */
const PROVE_TIMEOUT_MS = 1_200_000;
const PROFILE = "sustained";
const CHAOS = ["nats-cluster-node-kill", "router-kill-one"];
const E2E = ALL_CHECKS.filter((c) => !c.usesRouterFaults);

describe("npm run prove -- --stack dev-ci: the unmodified dev configuration (3-node NATS, 2 routers) on the real engine", function () {
  this.timeout(PROVE_TIMEOUT_MS + 120_000);
  let cli: CliRun<ProveResult>;
  let prove: ProveResult;
  let configText: string;
  const { phase, phaseJson } = proveAccessors(() => cli);

  before(async function () {
    this.timeout(PROVE_TIMEOUT_MS + 60_000);
    configText = fs.readFileSync(writeDevCiConfig(REPO_ROOT), "utf8");
    cli = await runStackCli<ProveResult>(
      "prove",
      [
        ...["--e2e", E2E.map((c) => c.id).join(",")],
        ...["--profiles", PROFILE, "--duration", "12s"],
        ...["--chaos", CHAOS.join(",")],
      ],
      "summary.json",
      PROVE_TIMEOUT_MS,
      DEV_CI_STACK,
    );
    prove = cli.result;
  });

  it("deployed Pulumi.dev.yaml with only the named overrides, on local images under the names dev pins", () => {
    const dev = fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8");
    const withoutSalt = configText.replace(/^encryptionsalt:.*\n/m, "");
    assert.equal(withoutSalt, renderDevCiConfig(dev));
    const changed = withoutSalt.split("\n").filter((l) => !dev.split("\n").includes(l) && !l.startsWith("#"));
    assert.deepEqual(changed.sort(), DEV_CI_OVERRIDES.map((o) => `  ${o.key}: ${o.value}`).sort());
    for (const key of [
      "natsImage",
      "prometheusImage",
      "alertmanagerImage",
      "blackboxImage",
      "cadvisorImage",
    ]) {
      const ref = new RegExp(`proving-ground:${key}: (\\S+)`).exec(dev)?.[1];
      assert.ok(ref, `Pulumi.dev.yaml pins ${key}`);
      const label = execFileSync(
        "docker",
        ["image", "inspect", "--format", '{{ index .Config.Labels "proving-ground.inputs-hash" }}', ref],
        { encoding: "utf8" },
      ).trim();
      assert.match(label, /^[0-9a-f]{16}$/, `${ref} is the local build (label ${label})`);
    }
  });

  it("exits 0 with every phase passed, the cluster phase right after up", () => {
    assert.equal(cli.code, 0, `${prove.failures.join("\n")}\n${cli.output.slice(-3000)}`);
    assert.deepEqual(
      prove.phases.map((p) => p.name),
      ["up", "cluster", "e2e", `load ${PROFILE}`, `chaos ${CHAOS.join(",")}`, "destroy"],
    );
    assert.deepEqual(
      prove.phases.filter((p) => p.status !== "passed").map((p) => `${p.name}: ${p.status} ${p.error ?? ""}`),
      [],
    );
  });

  it("cluster: every node routes to the other two, one meta leader, the intake stream on 3 replicas with one leader", () => {
    const gates = phase("cluster").gates;
    assert.deepEqual(
      gates.map((g) => [g.name, g.passed]),
      [
        ["every NATS node answers its monitoring port (3)", true],
        ["route mesh: every node routes to every other node", true],
        ["JetStream meta group: one leader, every peer current", true],
        ["stream BEAMLINE_INTAKE: 3 replicas, one leader, every replica current", true],
      ],
    );
    assert.match(gates[1].detail, /nats-0→nats-1\+nats-2, nats-1→nats-0\+nats-2, nats-2→nats-0\+nats-1/);
    assert.match(gates[3].detail, /^leader nats-\d \(all 3 nodes agree\); followers nats-\d, nats-\d$/);
  });

  it(`E2E: the ${E2E.length} checks without router fault injection pass`, () => {
    const run = phaseJson<RunReport>("e2e", "summary.json");
    assert.deepEqual(
      run.e2e?.map((r) => r.id),
      E2E.map((c) => c.id),
    );
    assert.deepEqual(
      run.e2e?.filter((r) => !r.passed).map((r) => `${r.id}: ${r.error}`),
      [],
    );
  });

  it(`load ${PROFILE}: every gate passes`, () => {
    const p = phaseJson<RunReport>(`load ${PROFILE}`, "summary.json").profiles[0];
    assert.equal(p?.name, PROFILE);
    assert.deepEqual(
      p.gates.filter((g) => !g.passed).map((g) => g.detail),
      [],
    );
  });

  describe("chaos", () => {
    let journal: RunJournal;
    const experiment = (name: string) => {
      const e = journal.experiments.find((x) => x.name === name);
      assert.ok(e, `${name} did not run (not applicable: ${JSON.stringify(journal.notApplicable)})`);
      return e;
    };
    before(() => {
      journal = phaseJson<RunJournal>(`chaos ${CHAOS.join(",")}`, "journal.json");
    });

    for (const name of CHAOS)
      it(`${name}: every gate passes, zero acked messages lost`, () => {
        const e = experiment(name);
        assert.deepEqual(
          [...e.reasons, ...e.gates.filter((g) => !g.pass).map((g) => `${g.gate.kind}: ${g.detail}`)],
          [],
        );
        assert.ok(e.ledger!.acked > 0, "no durable message was acked");
        assert.deepEqual(e.ledger!.lost, []);
      });

    it("nats-cluster-node-kill: time to detect is a number, from the alert's own transition after the kill", () => {
      const e = experiment("nats-cluster-node-kill");
      assert.ok(e.measures, "measures");
      const detections = Object.entries(e.measures.timeToDetectMs).filter(([k]) =>
        k.startsWith("NatsUnreachable"),
      );
      assert.ok(
        detections.length > 0,
        `no NatsUnreachable detection: ${JSON.stringify(e.measures.timeToDetectMs)}`,
      );
      for (const [, ms] of detections) assert.ok(Number.isFinite(ms) && ms > 0 && ms < 180_000, `${ms} ms`);
      assert.ok(e.gates.some((g) => g.gate.kind === "detected-within" && g.pass));
    });

    it("router-kill-one: the blast radius of losing one of two routers is measured and within its bound", () => {
      const e = experiment("router-kill-one");
      const g = e.gates.find((x) => x.gate.kind === "blast-radius-at-most");
      assert.ok(g?.pass, g?.detail);
      assert.ok(e.measures && Number.isFinite(e.measures.blastRadius.share), "blast radius is a number");
    });
  });

  it("destroyed the stack: nothing labelled dev-ci remains", async () => {
    assert.equal(phase("destroy").status, "passed");
    assert.deepEqual(await listStackObjects(DEV_CI_STACK), { containers: [], networks: [], volumes: [] });
  });
});
