// `npm run pack:components`: builds the npm package @proving-ground/components (packages/components/)
// and packs it into packages/components/dist-pack/proving-ground-components-<version>.tgz.
//
// The build compiles the public entry point components/index.ts and what it imports with declarations
// into packages/components/dist/ (the repository's folder layout: dist/components/, and the bottom layers
// the components import, dist/services/common/ and dist/monitoring/), writes the validation job's smoke
// script rendered (so the package needs no TypeScript at run time), and checks what it emitted: only
// those three folders, every relative require staying inside them, every package require a declared
// dependency, peer dependency or Node builtin.
//
//   npm run pack:components                 build and pack
//   npm run pack:components -- --snapshot   also record the emitted .d.ts as the released API of this
//                                           version (packages/components/api/<version>/), at a release
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { renderValidationScript } from "../components/validation";

const REPO_ROOT = path.resolve(__dirname, "..");

export const PACKAGE_DIR = path.join(REPO_ROOT, "packages", "components");
export const PACKAGE_DIST = path.join(PACKAGE_DIR, "dist");
export const PACK_DIR = path.join(PACKAGE_DIR, "dist-pack");
export const API_DIR = path.join(PACKAGE_DIR, "api");
/** The entry point's declarations inside a package dist/ or an api/<version>/ folder. */
export const ENTRY_DTS = path.join("components", "index.d.ts");

/** Folders of the repository that ship in the package (the components and the layers below them). */
export const SHIPPED_FOLDERS = ["components", "services/common", "monitoring"];

/**
 * Package requires that never run in the package: components/validation.ts compiles the smoke script
 * with TypeScript only where the rendered copy the build writes is absent (in the repository).
 */
const REPO_ONLY_REQUIRES: Record<string, string[]> = { "components/validation.js": ["typescript"] };

export interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

export function packageJson(dir = PACKAGE_DIR): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
}

/** The tarball `npm pack` writes for this version. */
export function tarballPath(version = packageJson().version): string {
  return path.join(PACK_DIR, `proving-ground-components-${version}.tgz`);
}

/** Files below `dir`, relative, with "/" separators, sorted. */
export function walkFiles(dir: string, rel = ""): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walkFiles(dir, p));
    else out.push(p);
  }
  return out.sort();
}

/** `require("…")` specifiers of an emitted CommonJS file. */
export function requiredSpecifiers(js: string): string[] {
  return [...js.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]);
}

/** The npm package a bare specifier names ("@scope/name/sub" → "@scope/name"). */
function packageOf(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/**
 * What is wrong with an emitted package tree: a file outside the shipped folders (stacks/, tooling/,
 * test/, ... reached from the entry point), a relative require leaving them, or a package require that
 * is neither a dependency, a peer dependency nor a Node builtin. Empty when all is well.
 */
export function emittedProblems(dist: string, pkg: PackageJson): string[] {
  const shipped = (rel: string) => SHIPPED_FOLDERS.some((f) => rel === f || rel.startsWith(`${f}/`));
  const declared = new Set([
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
  ]);
  const builtins = new Set(builtinModules);
  const problems: string[] = [];
  const files = walkFiles(dist);
  if (!files.includes("components/index.js")) problems.push("no components/index.js (the entry point)");
  for (const rel of files) {
    if (!shipped(rel)) {
      problems.push(`${rel}: outside ${SHIPPED_FOLDERS.join(", ")} (reachable from the entry point)`);
      continue;
    }
    if (!rel.endsWith(".js")) continue;
    for (const spec of requiredSpecifiers(fs.readFileSync(path.join(dist, rel), "utf8"))) {
      if (spec.startsWith(".")) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec));
        if (!shipped(target)) problems.push(`${rel}: requires ${spec} (${target}), outside the package`);
      } else if (
        !spec.startsWith("node:") &&
        !builtins.has(spec) &&
        !declared.has(packageOf(spec)) &&
        !REPO_ONLY_REQUIRES[rel]?.includes(spec)
      ) {
        problems.push(`${rel}: requires ${spec}, not a dependency or peer dependency of the package`);
      }
    }
  }
  return problems;
}

/** Compiles the package into dist/ (cleaned first) and checks it; throws naming every problem. */
export function buildPackage(): void {
  fs.rmSync(PACKAGE_DIST, { recursive: true, force: true });
  const tsc = require.resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", path.join(PACKAGE_DIR, "tsconfig.json")], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  // The smoke script the ValidationJob uploads, compiled now (components/validation.ts reads this copy).
  fs.writeFileSync(
    path.join(PACKAGE_DIST, "components", "validation-smoke.rendered.js"),
    renderValidationScript(),
  );
  const problems = emittedProblems(PACKAGE_DIST, packageJson());
  if (problems.length) throw new Error(`the package build emitted:\n  ${problems.join("\n  ")}`);
}

/** `npm pack` of the built package into dist-pack/; returns the tarball's path. */
export function packPackage(): string {
  fs.mkdirSync(PACK_DIR, { recursive: true });
  execFileSync("npm", ["pack", "--silent", "--pack-destination", PACK_DIR], {
    cwd: PACKAGE_DIR,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const tgz = tarballPath();
  if (!fs.existsSync(tgz)) throw new Error(`npm pack wrote no ${tgz}`);
  return tgz;
}

/** Copies the built package's .d.ts into api/<version>/, the API the next versions are checked against. */
export function snapshotApi(version = packageJson().version): string {
  const dir = path.join(API_DIR, version);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const rel of walkFiles(PACKAGE_DIST).filter((f) => f.endsWith(".d.ts"))) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(path.join(PACKAGE_DIST, rel), path.join(dir, rel));
  }
  return dir;
}

if (require.main === module) {
  buildPackage();
  const tgz = packPackage();
  console.log(`${path.relative(REPO_ROOT, tgz)} (${(fs.statSync(tgz).size / 1024).toFixed(1)} KiB)`);
  if (process.argv.includes("--snapshot"))
    console.log(`released API recorded in ${path.relative(REPO_ROOT, snapshotApi())}`);
}
