// docker:index/remoteImage:RemoteImage (resolved from the local image store; the harness never pulls)
// and docker-build:index:Image (built with the docker CLI's classic builder, which needs no buildx).
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { HARNESS_LABEL } from "./labels";
import { tail } from "./values";

export interface RemoteImageInputs {
  name: string;
  keepLocally?: boolean;
  platform?: string;
}

export async function resolveRemoteImage(docker: Docker, inputs: RemoteImageInputs) {
  let info: Docker.ImageInspectInfo;
  try {
    info = await docker.getImage(inputs.name).inspect();
  } catch {
    throw new Error(
      `RemoteImage ${inputs.name}: not present in the local image store, and this harness never pulls ` +
        `(no registry is reachable). Build it first (npm run build:ci-images) or use a locally built image.`,
    );
  }
  return {
    // The provider's id is the image id followed by the name.
    id: `${info.Id}${inputs.name}`,
    state: { ...inputs, imageId: info.Id, repoDigest: info.RepoDigests?.[0] ?? "" },
  };
}

export interface BuildImageInputs {
  tags?: string[];
  context?: { location: string };
  dockerfile?: { location?: string; inline?: string };
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  addHosts?: string[];
  network?: string;
  load?: boolean;
  push: boolean;
  exports?: { registry?: unknown; raw?: string }[];
  platforms?: string[];
}

function run(cmd: string, args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DOCKER_BUILDKIT: "0" } },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function buildImage(docker: Docker, logical: string, inputs: BuildImageInputs, stack: string) {
  if (inputs.push || (inputs.exports ?? []).some((e) => e.registry)) {
    throw new Error(
      `docker-build Image ${logical}: push/registry exports are not possible here (no registry)`,
    );
  }
  const contextDir = path.resolve(inputs.context?.location ?? ".");
  if (!fs.existsSync(contextDir)) {
    throw new Error(`docker-build Image ${logical}: context.location ${contextDir} does not exist`);
  }
  const iidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pg-iid-")), "iid");
  const args = ["build", "--iidfile", iidFile, "--label", `${HARNESS_LABEL}=${stack}`];
  let stdin: string | undefined;
  if (inputs.dockerfile?.inline !== undefined) {
    args.push("-f", "-");
    stdin = inputs.dockerfile.inline;
  } else {
    // Default, as documented: ${context.location}/Dockerfile.
    args.push("-f", path.resolve(inputs.dockerfile?.location ?? path.join(contextDir, "Dockerfile")));
  }
  for (const [k, v] of Object.entries(inputs.buildArgs ?? {})) args.push("--build-arg", `${k}=${v}`);
  for (const [k, v] of Object.entries(inputs.labels ?? {})) args.push("--label", `${k}=${v}`);
  for (const t of inputs.tags ?? []) args.push("-t", t);
  for (const h of inputs.addHosts ?? []) args.push("--add-host", h);
  if (inputs.target) args.push("--target", inputs.target);
  if (inputs.noCache) args.push("--no-cache");
  if (inputs.network) args.push("--network", inputs.network);
  args.push(contextDir);
  try {
    await run("docker", args, stdin);
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `docker-build Image ${logical}: docker ${args.join(" ")} failed:\n${tail(`${err.stdout ?? ""}${err.stderr ?? ""}`)}`,
    );
  }
  const imageId = fs.readFileSync(iidFile, "utf8").trim();
  fs.rmSync(path.dirname(iidFile), { recursive: true, force: true });
  await docker.getImage(imageId).inspect(); // the build really produced a local image
  // The provider's `ref` is one of the tags when nothing was pushed; without tags the image id is the only
  // usable reference. `digest` is the local image id (a locally loaded image has no registry digest).
  const ref = inputs.tags?.[0] ?? imageId;
  return {
    id: imageId,
    state: { ...inputs, ref, digest: imageId, contextHash: "" },
  };
}
