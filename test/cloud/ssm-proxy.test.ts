// The docker providers' SSH ProxyCommand, executed for real the way ssh does (`$SHELL -c "exec <cmd>"`
// with %h/%p substituted) against a fake `aws` CLI on PATH that records its calls. `sleep` is faked
// too, so the agent-offline path runs its full retry loop instantly.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { renderSsmProxyCommand } from "../../components/aws/ssm-proxy";

describe("aws target: SSM ProxyCommand", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-ssm-proxy-"));
    fs.mkdirSync(path.join(dir, "bin"));
    fs.mkdirSync(path.join(dir, "tmp"));
    fs.writeFileSync(path.join(dir, "bin", "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A fake aws CLI: logs "$*", answers per subcommand from env (PING, WAIT_RC). */
  function fakeAws() {
    fs.writeFileSync(
      path.join(dir, "bin", "aws"),
      [
        "#!/bin/bash",
        'echo "$*" >> "$AWS_LOG"',
        'case "$2" in',
        '  describe-instance-information) echo "$PING" ;;',
        "  send-command) echo cmd-123 ;;",
        '  wait) exit "$WAIT_RC" ;;',
        '  start-session) echo "SESSION $*" ;;',
        "esac",
      ].join("\n"),
      { mode: 0o755 },
    );
  }

  function proxy(env: Record<string, string>) {
    const cmd = renderSsmProxyCommand("eu-west-1").replace("%h", "i-0abc123").replace("%p", "22");
    const r = spawnSync("sh", ["-c", `exec ${cmd}`], {
      env: {
        PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
        TMPDIR: path.join(dir, "tmp"),
        AWS_LOG: path.join(dir, "aws.log"),
        PING: "Online",
        WAIT_RC: "0",
        ...env,
      },
      encoding: "utf8",
    });
    const log = fs.existsSync(path.join(dir, "aws.log"))
      ? fs.readFileSync(path.join(dir, "aws.log"), "utf8").trim().split("\n")
      : [];
    fs.rmSync(path.join(dir, "aws.log"), { force: true });
    return { ...r, log };
  }

  it("waits for the agent and cloud-init once, then opens the SSH session through SSM", () => {
    fakeAws();
    const first = proxy({});
    assert.equal(first.status, 0, first.stderr);
    assert.deepEqual(
      first.log.map((l) => l.split(" ").slice(0, 2).join(" ")),
      ["ssm describe-instance-information", "ssm send-command", "ssm wait", "ssm start-session"],
    );
    assert.match(first.log[1], /cloud-init status --wait >\/dev\/null; test -S \/var\/run\/docker.sock/);
    assert.match(
      first.stdout,
      /SESSION ssm start-session --region eu-west-1 --target i-0abc123 --document-name AWS-StartSSHSession --parameters portNumber=22/,
    );
    // The marker makes later connections (one per docker operation) go straight to the session.
    const again = proxy({});
    assert.equal(again.status, 0);
    assert.deepEqual(
      again.log.map((l) => l.split(" ")[1]),
      ["start-session"],
    );
  });

  it("fails with a clear message when the agent never comes online", () => {
    fakeAws();
    const r = proxy({ PING: "ConnectionLost" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /ssm agent on i-0abc123 is not online/);
    assert.equal(r.log.filter((l) => l.includes("describe-instance-information")).length, 120);
    assert.ok(!r.log.some((l) => l.includes("start-session")));
  });

  it("fails when cloud-init does not finish with docker running, and retries next time", () => {
    fakeAws();
    const r = proxy({ WAIT_RC: "255" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cloud-init on i-0abc123 did not finish with docker running/);
    assert.equal(r.log.filter((l) => l.includes(" wait ")).length, 6);
    assert.ok(!fs.existsSync(path.join(dir, "tmp", "pg-ssm-ready-i-0abc123")), "no marker after a failure");
  });

  it("rejects a malformed region", () => {
    assert.throws(() => renderSsmProxyCommand("eu-west-1; rm -rf /"), /aws:region must look like eu-west-1/);
  });
});
