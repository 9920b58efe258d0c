// test/support/stack-config.ts: project defaults merged with a stack file's values, as the CLI does.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readStackConfig } from "../support/stack-config";

describe("test support readStackConfig", () => {
  it("merges project defaults with stack values and rejects secure values", () => {
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
      assert.throws(() => readStackConfig(dir, "b"), /demo:pw is an encrypted/);
      assert.throws(() => readStackConfig(dir, "missing"), /Pulumi\.missing\.yaml does not exist/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
