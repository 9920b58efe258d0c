// tooling/nats-cluster.ts against a real 3-node nats-server cluster on loopback (the nats-server on PATH:
// in CI the version Pulumi.dev.yaml pins, built from its Go module), and its rules on recorded answers.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connect, NatsConnection } from "nats";
import { ensureIntakeStream } from "../../services/common/intake";
import { INTAKE_STREAM } from "../../services/common/contract";
import { evaluateCluster, NodeView, readCluster } from "../../tooling/nats-cluster";
import { freePort } from "../../tooling/local/ports";
import { ManagedProcess } from "../../tooling/local/proc";
import { httpOk, waitFor } from "../../tooling/local/wait";

interface Node {
  name: string;
  client: number;
  monitor: number;
  cluster: number;
  dir: string;
  proc?: ManagedProcess;
}

function start(n: Node, all: Node[]): void {
  const routes = all.filter((o) => o !== n).map((o) => `nats://127.0.0.1:${o.cluster}`);
  n.proc = new ManagedProcess(n.name, "nats-server", [
    ...["-a", "127.0.0.1", "-p", String(n.client), "-m", String(n.monitor)],
    ...["-js", "-sd", n.dir, "--server_name", n.name, "--cluster_name", "pg-test"],
    ...["--cluster", `nats://127.0.0.1:${n.cluster}`, "--routes", routes.join(",")],
  ]);
}

const passedNames = (checks: { name: string; passed: boolean }[]) =>
  checks.filter((c) => !c.passed).map((c) => c.name);

describe("tooling/nats-cluster: a real 3-node JetStream cluster", function () {
  this.timeout(60000);
  const nodes: Node[] = [];
  let nc: NatsConnection;

  before(async () => {
    for (const name of ["n0", "n1", "n2"])
      nodes.push({
        name,
        client: await freePort(),
        monitor: await freePort(),
        cluster: await freePort(),
        dir: fs.mkdtempSync(path.join(os.tmpdir(), `pg-cluster-${name}-`)),
      });
    for (const n of nodes) start(n, nodes);
    // JetStream answers once the meta group has a leader: every node healthy with JetStream on.
    for (const n of nodes)
      await waitFor(`${n.name} /healthz`, () => httpOk(`http://127.0.0.1:${n.monitor}/healthz`), {
        timeoutMs: 30000,
      });
    nc = await connect({ servers: nodes.map((n) => `nats://127.0.0.1:${n.client}`) });
    await waitFor(
      "the R3 intake stream",
      async () => {
        await ensureIntakeStream(await nc.jetstreamManager(), 3);
        return true;
      },
      { timeoutMs: 30000, intervalMs: 500 },
    );
  });

  after(async () => {
    await nc?.close();
    for (const n of nodes) {
      await n.proc?.stop("SIGTERM", 3000);
      fs.rmSync(n.dir, { recursive: true, force: true });
    }
  });

  const urls = () => nodes.map((n) => `http://127.0.0.1:${n.monitor}`);

  it("finds the full mesh, one meta leader and the R3 intake stream with every replica current", async () => {
    // Followers report current a moment after the stream is created: wait for the condition.
    const checks = await waitFor(
      "a healthy cluster",
      async () => {
        const c = evaluateCluster(await readCluster(urls()), [INTAKE_STREAM]);
        return c.every((x) => x.passed) && c;
      },
      { timeoutMs: 20000, intervalMs: 250 },
    ).catch(async (e: Error) => {
      const c = evaluateCluster(await readCluster(urls()), [INTAKE_STREAM]);
      throw new Error(`${e.message}\n${JSON.stringify(c, null, 1)}`);
    });
    assert.equal(checks.length, 4);
    assert.match(checks[1].detail, /n0→n1\+n2/);
  });

  it("ensureIntakeStream: an R1 stream the gateway created first is scaled up to the router's R3", async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(INTAKE_STREAM);
    await ensureIntakeStream(jsm); // the gateway: no replica count, 1
    assert.equal((await jsm.streams.info(INTAKE_STREAM)).config.num_replicas, 1);
    await ensureIntakeStream(jsm, 3); // the router
    assert.equal((await jsm.streams.info(INTAKE_STREAM)).config.num_replicas, 3);
    await ensureIntakeStream(jsm); // the gateway again: never scales down
    assert.equal((await jsm.streams.info(INTAKE_STREAM)).config.num_replicas, 3);
  });

  it("fails the reachability check, naming the node, when one node is killed", async () => {
    await nodes[2].proc!.stop("SIGKILL", 2000);
    const checks = evaluateCluster(await readCluster(urls()), [INTAKE_STREAM]);
    assert.deepEqual(passedNames(checks), ["every NATS node answers its monitoring port (3)"]);
    assert.match(checks[0].detail, new RegExp(`127\\.0\\.0\\.1:${nodes[2].monitor}`));
    // The survivors drop their routes to it: what the mesh check sees on a node that lost a peer.
    const [n0] = await readCluster(urls().slice(0, 1));
    await waitFor(
      "n0 to drop its route to n2",
      async () => !(await readCluster(urls().slice(0, 1)))[0].routedTo?.includes("n2"),
    );
    assert.ok(n0.routedTo?.includes("n1"));
  });
});

describe("tooling/nats-cluster: the rules on recorded answers", () => {
  const node = (name: string, over: Partial<NodeView> = {}): NodeView => ({
    url: `http://${name}:8222`,
    serverName: name,
    routedTo: ["a", "b", "c"].filter((x) => x !== name),
    meta: {
      leader: "a",
      replicas:
        name === "a"
          ? [
              { name: "b", current: true },
              { name: "c", current: true },
            ]
          : [],
    },
    streams: {
      S: {
        numReplicas: 3,
        leader: "b",
        replicas:
          name === "b"
            ? [
                { name: "a", current: true },
                { name: "c", current: true },
              ]
            : [],
      },
    },
    ...over,
  });

  it("passes a healthy cluster, reading follower state from each group's leader only", () => {
    const checks = evaluateCluster([node("a"), node("b"), node("c")], ["S"]);
    assert.deepEqual(passedNames(checks), []);
  });

  it("fails when nodes name different leaders", () => {
    const c = evaluateCluster([node("a"), node("b"), node("c", { meta: { leader: "c", replicas: [] } })], []);
    assert.deepEqual(passedNames(c), ["JetStream meta group: one leader, every peer current"]);
    assert.match(c[2].detail, /disagree.*c→c/);
  });

  it("fails a follower that the leader does not see current, and a stream with fewer replicas", () => {
    const lagging = node("b", {
      streams: {
        S: {
          numReplicas: 3,
          leader: "b",
          replicas: [
            { name: "a", current: true },
            { name: "c", current: false },
          ],
        },
      },
    });
    const c = evaluateCluster([node("a"), lagging, node("c")], ["S"]);
    assert.match(c[3].detail, /c \(not current\)/);
    assert.equal(c[3].passed, false);
    const r1 = (n: string): NodeView =>
      node(n, { streams: { S: { numReplicas: 1, leader: "a", replicas: [] } } });
    const single = evaluateCluster([r1("a"), r1("b"), r1("c")], ["S"]);
    assert.equal(single[3].passed, false);
    assert.match(single[3].detail, /num_replicas is 1, expected 3/);
  });

  it("fails a missing route and a stream unknown to a node", () => {
    const c = evaluateCluster([node("a", { routedTo: ["b"] }), node("b"), node("c", { streams: {} })], ["S"]);
    assert.match(c[1].detail, /a has no route to c/);
    assert.match(c[3].detail, /not known to c/);
  });
});
