// test/support/stack-config.ts: project defaults merged with a stack file's values, as the CLI does.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readStackConfig } from "../support/stack-config";

describe("test support readStackConfig", () => {
  it("merges project defaults with stack values and rejects secure values it cannot decrypt", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pg-cfg-"));
    try {
      fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        "name: demo\nruntime: nodejs\nconfig:\n  replicas:\n    type: integer\n    default: 2\n  target: docker\n",
      );
      fs.writeFileSync(
        path.join(dir, "Pulumi.a.yaml"),
        "config:\n  demo:replicas: 3\n  docker:host: unix:///x\n  demo:obj: {k: 1}\nencryptionsalt: v1:abc\n",
      );
      fs.writeFileSync(path.join(dir, "Pulumi.b.yaml"), "config:\n  demo:pw:\n    secure: AAAA\n");
      const cfg = readStackConfig(dir, "a");
      assert.equal(cfg.project, "demo");
      assert.deepEqual(cfg.config, {
        "demo:replicas": "3",
        "demo:target": "docker",
        "docker:host": "unix:///x",
        "demo:obj": '{"k":1}',
      });
      assert.throws(
        () => readStackConfig(dir, "b"),
        /Pulumi\.b\.yaml: has secure values but no encryptionsalt/,
      );
      assert.throws(() => readStackConfig(dir, "missing"), /Pulumi\.missing\.yaml does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("decrypts secure values the Pulumi CLI wrote (Pulumi.ci.yaml) with the stack's passphrase, as secrets", function () {
    this.timeout(30000);
    const repo = path.resolve(__dirname, "..", "..");
    const cfg = readStackConfig(repo, "ci", "proving-ground-local");
    const tokens = cfg.config["proving-ground:gatewayTenantTokens"];
    assert.deepEqual(cfg.secretKeys, ["proving-ground:gatewayTenantTokens"]);
    assert.match(tokens, /^([^,:\s]+:[A-Za-z0-9]{16,})(,[^,:\s]+:[A-Za-z0-9]{16,})*$/);
    assert.ok(tokens.split(",").some((e) => e.startsWith("tenant-a:")));
    assert.throws(
      () => readStackConfig(repo, "ci", "not-the-passphrase"),
      /Pulumi\.ci\.yaml: the passphrase does not match its encryptionsalt/,
    );
  });
});
