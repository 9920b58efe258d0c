// Decide idempotency across router replicas (scenario group 2, error semantics): pairs of decides with
// one request_id go through the gateway, whose NATS queue group spreads them over the routers. Every
// pair must be answered right (the first decision again for the same content, IDEMPOTENCY_VIOLATION for
// different content), and with two or more routers their metrics must show repeats answered from a
// record another router wrote (router_idempotency_replays_total{origin="other"}): the proof that the
// idempotency record is shared, not per process.
import type { Check } from "./check";
import { E2EContext, expect, HttpAnswer, MissingCapability } from "./context";
import { metricSum, metricsUrl, scrape } from "../../tooling/prom-text";
import { GATEWAY_ROUTES } from "../../services/common/service-contract";

const DECIDE = GATEWAY_ROUTES.decide;
const REPLAYS = "router_idempotency_replays_total";
/** Pairs per run: half same content, half different. With two routers, P(no cross-router repeat) = 2^-40. */
const PAIRS = 40;
const CONCURRENCY = 4;

interface ReplayCounts {
  same: number;
  violation: number;
  self: number;
  other: number;
}

async function replayCounts(urls: string[]): Promise<ReplayCounts> {
  const c: ReplayCounts = { same: 0, violation: 0, self: 0, other: 0 };
  for (const u of urls) {
    const samples = await scrape(metricsUrl(u));
    const n = (match: Record<string, string>) => metricSum(samples, REPLAYS, match);
    if (n({}) === undefined) {
      throw new MissingCapability(
        `router at ${u} exports no ${REPLAYS}: these router images cannot show which router answered a repeat`,
      );
    }
    c.same += n({ result: "same" }) ?? 0;
    c.violation += n({ result: "violation" }) ?? 0;
    c.self += n({ origin: "self" }) ?? 0;
    c.other += n({ origin: "other" }) ?? 0;
  }
  return c;
}

/** A decide that waits out a 429 (the check is about idempotency, not about the tenant's rate limit). */
async function decide(ctx: E2EContext, tenant: string, body: unknown): Promise<HttpAnswer> {
  for (let attempt = 0; ; attempt++) {
    const r = await ctx.http({ path: DECIDE, tenant, json: body });
    if (r.status !== 429 || attempt >= 5) return r;
    const s = Number(r.headers["retry-after"]);
    await new Promise((res) => setTimeout(res, Math.min(2000, Number.isFinite(s) && s > 0 ? s * 1000 : 500)));
  }
}

export const idempotencyChecks: Check[] = [
  {
    id: "errors.router.idempotency-across-routers",
    group: "errors",
    title:
      "a request_id repeated on any router: the first decision for the same content, IDEMPOTENCY_VIOLATION for different content; repeats answered from another router's record",
    timeoutMs: 60000,
    async run(ctx) {
      const urls = ctx.outputs.routerMetricsUrls;
      const multi = urls.length >= 2;
      const before = multi ? await replayCounts(urls) : undefined;
      const wrong: string[] = [];
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < PAIRS; i = next++) {
          // Tenants 5-9: spread over several rate-limit buckets.
          const t = ctx.tenant(5 + (i % 5));
          const body = ctx.body(t, { task: { type: "text.generate", payload: { prompt: `pair-${i}` } } });
          const same = i % 2 === 0;
          const first = await decide(ctx, t, body);
          const again = same
            ? { ...body, trace_id: `repeat-${i}` }
            : { ...body, task: { type: "text.generate", payload: { prompt: `changed-${i}` } } };
          const second = await decide(ctx, t, again);
          const id = `${body.request_id} (${same ? "same" : "different"} content)`;
          if (first.status !== 200 || first.json?.ok !== true) {
            wrong.push(`${id}: first answer ${first.status} ${first.text.slice(0, 200)}`);
          } else if (same) {
            if (
              second.status !== 200 ||
              JSON.stringify(second.json?.decision) !== JSON.stringify(first.json.decision)
            )
              wrong.push(
                `${id}: repeat answered ${second.status} ${second.text.slice(0, 200)}, first ${JSON.stringify(first.json.decision)}`,
              );
          } else if (
            second.status !== 400 ||
            second.json?.error?.intake_error_code !== "IDEMPOTENCY_VIOLATION"
          ) {
            wrong.push(`${id}: repeat answered ${second.status} ${second.text.slice(0, 200)}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      expect(wrong.length === 0, `every one of ${PAIRS} pairs answered right (${wrong.length} wrong)`, wrong);
      if (!multi) {
        ctx.note("one router: cross-router idempotency not exercised");
        return;
      }
      const after = await replayCounts(urls);
      const d = {
        same: after.same - before!.same,
        violation: after.violation - before!.violation,
        self: after.self - before!.self,
        other: after.other - before!.other,
      };
      expect(
        d.same >= PAIRS / 2 && d.violation >= PAIRS / 2,
        `the routers counted every repeat as a replay (≥ ${PAIRS / 2} same, ≥ ${PAIRS / 2} violation)`,
        d,
      );
      expect(d.other > 0, `some repeats were answered from another router's record (origin="other")`, d);
      ctx.note(
        `${PAIRS} pairs over ${urls.length} routers: ${d.other} repeats answered from another router's record, ${d.self} from the answering router's own`,
      );
    },
  },
];
