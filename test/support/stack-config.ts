// The Pulumi CLI's view of a stack's config: Pulumi.yaml (project config defaults) and Pulumi.<stack>.yaml
// (the stack's `config:` block) turned into the PULUMI_CONFIG values the SDK reads. The mock tests run
// index.ts with it as the CLI would run it for that stack.
import fs from "node:fs";
import path from "node:path";
import YAML from "yaml";

export interface StackConfig {
  project: string;
  config: Record<string, string>;
  secretKeys: string[];
}

function asConfigString(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Keys without a namespace belong to the project, as in the CLI. */
function fullKey(project: string, key: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

export function readStackConfig(projectDir: string, stack: string): StackConfig {
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
  };
  for (const [k, v] of Object.entries(stackDoc.config ?? {})) {
    const key = fullKey(project.name, k);
    if (v && typeof v === "object" && "secure" in (v as object)) {
      // Encrypted values need the stack's secrets provider, which only the Pulumi CLI has.
      throw new Error(
        `${stackFile}: ${key} is an encrypted (secure:) value; only the Pulumi CLI can decrypt it`,
      );
    }
    config[key] = asConfigString(v);
  }
  return { project: project.name, config, secretKeys };
}
