// The pure parts of expiring stacks and `npm run reap`: --ttl, the expiry tag, the flags and which stacks
// are expired at a given time (the clock is injected).
import assert from "node:assert/strict";
import path from "node:path";
import { parseDuration } from "../../loadtests/cli";
import { REPO_ROOT } from "../../scripts/engine";
import { classify, formatSpan, parseReapArgs, reap, renderListing, USAGE } from "../../scripts/reap";
import { EXPIRY_TAG, expiryFromTags, parseTtl } from "../../scripts/stack-expiry";

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe("stack expiry", () => {
  describe("parseTtl", () => {
    it("reads seconds, minutes, hours and days", () => {
      assert.equal(parseTtl("90s"), 90 * S);
      assert.equal(parseTtl("30m"), 30 * M);
      assert.equal(parseTtl("4h"), 4 * H);
      assert.equal(parseTtl("2d"), 48 * H);
      assert.equal(parseTtl("1.5h"), 90 * M);
      assert.equal(parseTtl(" 2d "), 48 * H);
    });

    it("rejects 0, negatives, a missing or unknown unit and junk, naming --ttl and what it expects", () => {
      for (const bad of [
        "0",
        "0s",
        "0.5s",
        "-1h",
        "90",
        "4",
        "5ms",
        "2w",
        "1h30m",
        "h",
        "",
        "soon",
        "4 h",
        "Infinity",
      ])
        assert.throws(
          () => parseTtl(bad),
          /^Error: --ttl must (look like 90s, 30m, 4h or 2d|be at least 1 s)/,
          bad,
        );
      assert.throws(() => parseTtl("90"), {
        message:
          '--ttl must look like 90s, 30m, 4h or 2d (a positive number and a unit: s, m, h or d), got "90"',
      });
      assert.throws(() => parseTtl("0s"), { message: '--ttl must be at least 1 s, got "0s"' });
    });

    it("shares its parser with npm run validate's --duration, which keeps its own units and wording", () => {
      assert.equal(parseDuration("1500ms"), 1.5);
      assert.equal(parseDuration("90"), 90);
      assert.throws(
        () => parseDuration("2d"),
        /^UsageError: --duration must look like 90s, 5m or 2h, got "2d"/,
      );
      assert.throws(() => parseDuration("0", "--load-duration"), { name: "UsageError" });
      assert.throws(() => parseDuration("500ms", "--load-duration"), {
        message: '--load-duration must be at least 1 s, got "500ms"',
      });
    });
  });

  describe("the expiry tag", () => {
    it("is an ISO time in proving-ground:expires-at; no tag is no expiry", () => {
      assert.equal(EXPIRY_TAG, "proving-ground:expires-at");
      assert.equal(expiryFromTags({ "pulumi:project": "proving-ground" }), undefined);
      assert.equal(
        expiryFromTags({ [EXPIRY_TAG]: "2026-12-07T04:00:00.000Z" })?.toISOString(),
        "2026-12-07T04:00:00.000Z",
      );
    });

    it("names the tag when its value is no time", () => {
      for (const bad of ["tomorrow", "", "1765080000000", "2026-13-45T00:00:00Z"])
        assert.throws(
          () => expiryFromTags({ [EXPIRY_TAG]: bad }),
          /stack tag proving-ground:expires-at is not/,
          bad,
        );
    });
  });

  describe("npm run reap flags", () => {
    const now = new Date("2026-12-07T12:00:00Z");
    const clock = () => now;

    it("is a dry run on npm run up's backend at the current time by default", () => {
      assert.deepEqual(parseReapArgs([], {}, clock), {
        yes: false,
        backend: `file://${path.join(REPO_ROOT, ".pulumi-state")}`,
        now,
        help: false,
      });
      assert.equal(
        parseReapArgs([], { PULUMI_BACKEND_URL: "file:///srv/state" }, clock).backend,
        "file:///srv/state",
      );
      assert.equal(parseReapArgs(["--dry-run"], {}, clock).yes, false);
    });

    it("reads --yes, --backend and --now, as `--flag value` and `--flag=value`", () => {
      assert.deepEqual(
        parseReapArgs(["--yes", "--backend", "file:///tmp/x", "--now=2026-12-08T06:00:00Z"], {}, clock),
        {
          yes: true,
          backend: "file:///tmp/x",
          now: new Date("2026-12-08T06:00:00Z"),
          help: false,
        },
      );
      assert.equal(parseReapArgs(["--backend=s3://bucket/state"], {}, clock).backend, "s3://bucket/state");
      assert.equal(
        parseReapArgs(["--now", "2026-12-08"], {}, clock).now.toISOString(),
        "2026-12-08T00:00:00.000Z",
      );
      assert.equal(parseReapArgs(["-h"], {}, clock).help, true);
    });

    it("rejects bad flags with a message naming the flag", () => {
      const cases: [string[], RegExp][] = [
        [["--yes", "--dry-run"], /--yes and --dry-run exclude each other/],
        [["--dry-run", "--yes"], /--yes and --dry-run exclude each other/],
        [["--yes=1"], /--yes takes no value/],
        [["--backend"], /--backend needs a value/],
        [["--backend", "--yes"], /--backend needs a value/],
        [
          ["--backend", "/tmp/state"],
          /--backend must be a URL such as file:\/\/\/path\/to\/state, got "\/tmp\/state"/,
        ],
        [["--now", "tomorrow"], /--now must be an ISO 8601 time/],
        [["--now=2026-12-45T00:00:00Z"], /--now must be an ISO 8601 time/],
        [["--now", "1765080000000"], /--now must be an ISO 8601 time/],
        [["--ttl", "4h"], /unknown argument "--ttl"/],
        [["prove-1"], /unknown argument "prove-1"/],
      ];
      for (const [argv, message] of cases)
        assert.throws(() => parseReapArgs(argv, {}, clock), { name: "UsageError", message }, argv.join(" "));
    });

    it("exits 2 with the message and the usage on bad flags, 0 with the usage on --help", async () => {
      const out: string[] = [];
      const err: string[] = [];
      assert.equal(
        await reap(
          ["--yes", "--dry-run"],
          (l) => out.push(l),
          (l) => err.push(l),
        ),
        2,
      );
      assert.equal(out.length, 0);
      assert.equal(err[0], "reap: --yes and --dry-run exclude each other");
      assert.equal(err[1], USAGE);
      assert.equal(
        await reap(
          ["--help"],
          (l) => out.push(l),
          (l) => err.push(l),
        ),
        0,
      );
      assert.deepEqual(out, [USAGE]);
    });

    it("exits 2 naming a file backend that does not exist", async () => {
      const err: string[] = [];
      const code = await reap(
        ["--backend", "file:///nonexistent/pg-state"],
        () => {},
        (l) => err.push(l),
      );
      assert.equal(code, 2);
      assert.match(err.join("\n"), /backend file:\/\/\/nonexistent\/pg-state: no such directory/);
    });
  });

  describe("which stacks are expired", () => {
    const stacks = [
      { name: "prove-b", expiresAt: new Date("2026-12-07T14:30:00Z") },
      { name: "dev" },
      { name: "prove-a", expiresAt: new Date("2026-12-07T09:58:30Z") },
      { name: "prove-c", expiresAt: new Date("2026-12-07T12:00:00Z") },
      { name: "odd", error: 'stack tag proving-ground:expires-at is not an ISO 8601 time: "soon"' },
    ];

    it("at a given time: past or at the expiry is expired, later or no tag is kept; listed by name", () => {
      const rows = classify(stacks, new Date("2026-12-07T12:00:00Z"));
      assert.deepEqual(
        rows.map((r) => [r.name, r.state, r.note]),
        [
          ["dev", "no expiry", "no expiry"],
          ["odd", "invalid expiry", 'stack tag proving-ground:expires-at is not an ISO 8601 time: "soon"'],
          ["prove-a", "expired", "expired 2h 1m ago"],
          ["prove-b", "not expired", "expires in 2h 30m"],
          ["prove-c", "expired", "expired 0s ago"],
        ],
      );
    });

    it("the same stacks at another time (--now)", () => {
      const early = classify(stacks, new Date("2026-12-07T09:00:00Z"));
      assert.deepEqual(
        early.filter((r) => r.state === "expired").map((r) => r.name),
        [],
      );
      const late = classify(stacks, new Date("2026-12-09T00:00:00Z"));
      assert.deepEqual(
        late.filter((r) => r.state === "expired").map((r) => [r.name, r.note]),
        [
          ["prove-a", "expired 1d 14h ago"],
          ["prove-b", "expired 1d 9h ago"],
          ["prove-c", "expired 1d 12h ago"],
        ],
      );
    });

    it("lists each stack with its expiry, 'no expiry' without one, and marks the expired", () => {
      const text = renderListing(classify(stacks, new Date("2026-12-07T12:00:00Z")));
      assert.equal(
        text,
        [
          "stack    expires at                state",
          `-------  ------------------------  ${"-".repeat(67)}`,
          "dev      no expiry                 no expiry",
          'odd      ?                         stack tag proving-ground:expires-at is not an ISO 8601 time: "soon"',
          "prove-a  2026-12-07T09:58:30.000Z  EXPIRED 2h 1m ago",
          "prove-b  2026-12-07T14:30:00.000Z  expires in 2h 30m",
          "prove-c  2026-12-07T12:00:00.000Z  EXPIRED 0s ago",
        ].join("\n"),
      );
      assert.equal(renderListing([]), "(no stacks)");
    });

    it("spans: the two largest units", () => {
      assert.equal(formatSpan(0), "0s");
      assert.equal(formatSpan(45 * S), "45s");
      assert.equal(formatSpan(-(12 * M + 5 * S)), "12m 5s");
      assert.equal(formatSpan(2 * H + 5 * M + 59 * S), "2h 5m");
      assert.equal(formatSpan(3 * 24 * H + 59 * M), "3d");
      assert.equal(formatSpan(3 * 24 * H + 4 * H), "3d 4h");
    });
  });
});
