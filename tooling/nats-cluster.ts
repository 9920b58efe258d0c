// The health of a NATS JetStream cluster as its own monitoring endpoints report it: every node routes to
// every other one, the JetStream meta group and a replicated stream each have one leader that every node
// names, and the leader sees every replica current. `npm run prove` runs it on a stack with more than one
// NATS node (phase "cluster"); reading is separate from judging, so the rules are tested on recorded
// answers as well as on a real 3-node cluster (test/loadtests/nats-cluster.test.ts).
//
// Only a group's leader knows its followers' state: a follower's /jsz lists the other replicas with
// `current: false, active: 0` even when they are in sync, so replica freshness is read from the leader.

/** What one node's monitoring port answered (routez and jsz), or why it did not. */
export interface NodeView {
  url: string;
  serverName?: string;
  /** Distinct server names this node has routes to (route pooling opens several connections per peer). */
  routedTo?: string[];
  meta?: RaftGroupView;
  streams?: Record<string, StreamView>;
  error?: string;
}

export interface ReplicaView {
  name: string;
  current: boolean;
}

export interface RaftGroupView {
  leader?: string;
  replicas: ReplicaView[];
}

export interface StreamView extends RaftGroupView {
  numReplicas: number;
}

export interface ClusterCheck {
  name: string;
  passed: boolean;
  detail: string;
}

interface Jsz {
  server_name?: string;
  meta_cluster?: { leader?: string; replicas?: { name: string; current?: boolean }[] };
  account_details?: {
    stream_detail?: {
      name: string;
      config?: { num_replicas?: number };
      cluster?: { leader?: string; replicas?: { name: string; current?: boolean }[] };
    }[];
  }[];
}

const replicas = (r?: { name: string; current?: boolean }[]): ReplicaView[] =>
  (r ?? []).map((x) => ({ name: x.name, current: x.current === true }));

/** Reads /routez and /jsz of one node (bounded: a dead node answers with an error, not a hang). */
export async function readNode(url: string, timeoutMs = 3000): Promise<NodeView> {
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${url}${p}`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`${p}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  try {
    const routez = await get<{ server_name?: string; routes?: { remote_name?: string }[] }>("/routez");
    const jsz = await get<Jsz>("/jsz?accounts=true&streams=true&config=true");
    const streams: Record<string, StreamView> = {};
    for (const a of jsz.account_details ?? [])
      for (const s of a.stream_detail ?? [])
        streams[s.name] = {
          numReplicas: s.config?.num_replicas ?? 1,
          leader: s.cluster?.leader,
          replicas: replicas(s.cluster?.replicas),
        };
    return {
      url,
      serverName: routez.server_name ?? jsz.server_name,
      routedTo: [...new Set((routez.routes ?? []).map((r) => r.remote_name ?? "?"))].sort(),
      meta: jsz.meta_cluster
        ? { leader: jsz.meta_cluster.leader, replicas: replicas(jsz.meta_cluster.replicas) }
        : undefined,
      streams,
    };
  } catch (e) {
    return { url, error: (e as Error).message };
  }
}

export async function readCluster(monitorUrls: string[]): Promise<NodeView[]> {
  return Promise.all(monitorUrls.map((u) => readNode(u)));
}

/** The leader all nodes name for a group, and whether they agree. */
function agreedLeader(names: (string | undefined)[]): { leader?: string; agree: boolean } {
  const set = new Set(names);
  const [only] = [...set];
  return { leader: set.size === 1 ? only : undefined, agree: set.size === 1 && only !== undefined };
}

function groupCheck(
  name: string,
  nodes: NodeView[],
  group: (n: NodeView) => RaftGroupView | undefined,
  expectedReplicas: number,
): ClusterCheck {
  const views = nodes.map((n) => ({ n, g: group(n) }));
  const missing = views.filter((v) => !v.g).map((v) => v.n.serverName ?? v.n.url);
  if (missing.length) return { name, passed: false, detail: `not known to ${missing.join(", ")}` };
  const { leader, agree } = agreedLeader(views.map((v) => v.g!.leader));
  if (!agree)
    return {
      name,
      passed: false,
      detail: `nodes disagree on the leader: ${views.map((v) => `${v.n.serverName}→${v.g!.leader ?? "none"}`).join(", ")}`,
    };
  const fromLeader = views.find((v) => v.n.serverName === leader)?.g;
  if (!fromLeader) return { name, passed: false, detail: `leader ${leader} is not one of the nodes read` };
  const followers = fromLeader.replicas;
  const stale = followers.filter((r) => !r.current).map((r) => r.name);
  const passed = followers.length === expectedReplicas - 1 && stale.length === 0;
  return {
    name,
    passed,
    detail: `leader ${leader} (all ${nodes.length} nodes agree); followers ${followers.map((r) => `${r.name}${r.current ? "" : " (not current)"}`).join(", ") || "none"}${
      followers.length === expectedReplicas - 1 ? "" : `; expected ${expectedReplicas - 1} followers`
    }`,
  };
}

/**
 * Judges a cluster of `nodes.length` nodes: reachability, a full route mesh, the meta group, and each
 * named stream replicated on every node with one leader.
 */
export function evaluateCluster(nodes: NodeView[], streams: string[]): ClusterCheck[] {
  const size = nodes.length;
  const dead = nodes.filter((n) => n.error);
  const checks: ClusterCheck[] = [
    {
      name: `every NATS node answers its monitoring port (${size})`,
      passed: dead.length === 0,
      detail: dead.length
        ? dead.map((n) => `${n.url}: ${n.error}`).join("; ")
        : nodes.map((n) => n.serverName).join(", "),
    },
  ];
  if (dead.length) return checks;
  const names = nodes.map((n) => n.serverName ?? n.url);
  const gaps = nodes.flatMap((n) => {
    const want = names.filter((x) => x !== n.serverName);
    const lacking = want.filter((w) => !n.routedTo?.includes(w));
    return lacking.length ? [`${n.serverName} has no route to ${lacking.join(", ")}`] : [];
  });
  checks.push({
    name: "route mesh: every node routes to every other node",
    passed: gaps.length === 0,
    detail: gaps.length
      ? gaps.join("; ")
      : nodes.map((n) => `${n.serverName}→${n.routedTo?.join("+")}`).join(", "),
  });
  checks.push(groupCheck("JetStream meta group: one leader, every peer current", nodes, (n) => n.meta, size));
  for (const s of streams) {
    const c = groupCheck(
      `stream ${s}: ${size} replicas, one leader, every replica current`,
      nodes,
      (n) => n.streams?.[s],
      size,
    );
    const declared = nodes.map((n) => n.streams?.[s]?.numReplicas).find((r) => r !== undefined);
    if (declared !== undefined && declared !== size)
      checks.push({
        ...c,
        passed: false,
        detail: `num_replicas is ${declared}, expected ${size}; ${c.detail}`,
      });
    else checks.push(c);
  }
  return checks;
}
