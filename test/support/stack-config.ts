// The Pulumi CLI's view of a stack's config: Pulumi.yaml (project config defaults) and Pulumi.<stack>.yaml
// (the stack's `config:` block) turned into the PULUMI_CONFIG values the SDK reads. The mock tests run
// index.ts with it as the CLI would run it for that stack. Encrypted (`secure:`) values are decrypted as
// the CLI's passphrase secrets manager does (the stack file's encryptionsalt; PBKDF2-SHA256 with 1,000,000
// rounds, AES-256-GCM) and listed in secretKeys.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

export interface StackConfig {
  project: string;
  config: Record<string, string>;
  secretKeys: string[];
}

const keys = new Map<string, Buffer>();

/** Decrypts a `v1:<nonce>:<ciphertext+tag>` value of Pulumi's passphrase secrets manager. */
function decryptWith(key: Buffer, value: string): string {
  const [version, nonce, data] = value.split(":");
  if (version !== "v1" || !nonce || !data) throw new Error(`not a v1 passphrase ciphertext`);
  const buf = Buffer.from(data, "base64");
  const d = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
  d.setAuthTag(buf.subarray(buf.length - 16));
  return Buffer.concat([d.update(buf.subarray(0, buf.length - 16)), d.final()]).toString("utf8");
}

/** The passphrase key of a stack file's `encryptionsalt` (v1:<salt>:<"pulumi" encrypted>), checked. */
function passphraseKey(stackFile: string, encryptionSalt: string | undefined, passphrase: string): Buffer {
  if (!encryptionSalt) throw new Error(`${stackFile}: has secure values but no encryptionsalt`);
  const cacheKey = `${encryptionSalt} ${passphrase}`;
  let key = keys.get(cacheKey);
  if (!key) {
    const [, salt, ...check] = encryptionSalt.split(":");
    key = crypto.pbkdf2Sync(passphrase, Buffer.from(salt, "base64"), 1_000_000, 32, "sha256");
    let ok: boolean;
    try {
      ok = decryptWith(key, check.join(":")) === "pulumi";
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(`${stackFile}: the passphrase does not match its encryptionsalt`);
    keys.set(cacheKey, key);
  }
  return key;
}

function asConfigString(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Keys without a namespace belong to the project, as in the CLI. */
function fullKey(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/**
 * The stack's config as the CLI hands it to the program. `passphrase` (default PULUMI_CONFIG_PASSPHRASE,
 * else the local default "proving-ground-local") decrypts `secure:` values.
 */
export function readStackConfig(
  projectDir: string,
  stack: string,
  passphrase = process.env.PULUMI_CONFIG_PASSPHRASE || "proving-ground-local",
): StackConfig {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  if (!fs.existsSync(projectFile)) throw new Error(`no Pulumi.yaml in ${projectDir}`);
  const project = YAML.parse(fs.readFileSync(projectFile, "utf8")) as {
    name?: string;
    config?: Record<string, unknown>;
  };
  if (!project?.name) throw new Error(`${projectFile}: missing "name"`);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  // Project-level defaults: `key: {type, default, description}` or a bare value.
  for (const [k, v] of Object.entries(project.config ?? {})) {
    const def = v && typeof v === "object" && !Array.isArray(v) ? (v as { default?: unknown }).default : v;
    if (def !== undefined) config[fullKey(project.name, k)] = asConfigString(def);
  }
  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!fs.existsSync(stackFile)) throw new Error(`stack ${stack}: ${stackFile} does not exist`);
  const stackDoc = (YAML.parse(fs.readFileSync(stackFile, "utf8")) ?? {}) as {
    config?: Record<string, unknown>;
    encryptionsalt?: string;
  };
  for (const [k, v] of Object.entries(stackDoc.config ?? {})) {
    const key = fullKey(project.name, k);
    if (v && typeof v === "object" && "secure" in (v as object)) {
      const passKey = passphraseKey(stackFile, stackDoc.encryptionsalt, passphrase);
      try {
        config[key] = decryptWith(passKey, String((v as { secure: unknown }).secure));
      } catch (e) {
        throw new Error(`${stackFile}: ${key} cannot be decrypted: ${(e as Error).message}`);
      }
      secretKeys.push(key);
      continue;
    }
    config[key] = asConfigString(v);
  }
  return { project: project.name, config, secretKeys };
}
