// The folder layering (issue 13, item 6): every code file's imports are read, and a file importing a
// folder above its own, or a folder beside it that it must stay independent of, fails the test with the
// file, the line and the arrow. The folders' import graph must also have no cycle. The rule is the
// table LAYERS below; the reader (test/support/imports.ts) is tested on inline snippets first.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import {
  folderCycles,
  folderEdges,
  FolderEdge,
  folderOf,
  ImportKind,
  listCodeFiles,
  readImports,
  ROOT_FOLDER,
  shortestCycle,
} from "../support/imports";

const REPO = path.resolve(__dirname, "..", "..");

// Each folder → the folders its files may import (node: builtins and npm packages are always allowed).
// From the bottom up, and why:
// - services/ and monitoring/ are the bottom: the services run alone in their images (an esbuild
//   bundle of services/*/src) and monitoring is the rules, alerts and dashboards as data with their
//   renderers, so each imports only itself. The service contract lives in services/common for all above.
// - components/ render what runs (from the services' contract and monitoring's configs) and realize it
//   as Pulumi resources; stacks/ wire components per target and read the config. A type a component
//   takes lives with the component, so components never reach up into stacks/.
// - tooling/ is what validation and chaos share against a deployed stack (drivers, outputs reader,
//   stats, charts); it may read the stack's shapes (stacks/outputs.ts) but no command line.
// - loadtests/ and chaos/ are two command lines on the tooling and stay independent of each other:
//   what both need moves down into tooling/.
// - The top: the Pulumi entry (index.ts in the root), scripts/ (build, benchmarks, the engine helpers),
//   prove/ (up, validation, chaos and destroy in one command, on scripts' engine helpers) and policy/
//   (the CrossGuard pack, which checks the stacks' resources).
// - test/ may import anything; nothing imports test/ (a helper both need moves down beside its users).
// - examples/ are programs of other teams: each has its own package.json and reaches the components only
//   through their npm package (@proving-ground/components, an npm specifier), never a relative path into
//   this repository, so it imports only itself.
const SHARED_BELOW_TOOLING = ["tooling", "stacks", "components", "services", "monitoring"] as const;
const LAYERS: Record<string, readonly string[] | "anything"> = {
  services: ["services"],
  monitoring: ["monitoring"],
  components: ["components", "services", "monitoring"],
  stacks: ["stacks", "components", "services", "monitoring"],
  tooling: SHARED_BELOW_TOOLING,
  loadtests: ["loadtests", ...SHARED_BELOW_TOOLING],
  chaos: ["chaos", ...SHARED_BELOW_TOOLING],
  [ROOT_FOLDER]: [ROOT_FOLDER, "stacks", "components", "services", "monitoring"],
  scripts: ["scripts", "loadtests", "chaos", ...SHARED_BELOW_TOOLING],
  prove: ["prove", "scripts", "loadtests", "chaos", ...SHARED_BELOW_TOOLING],
  policy: ["policy", "stacks", "components", "services", "monitoring"],
  test: "anything",
  examples: ["examples"],
};

/** Code files of the repository with their text (test/support/imports.ts says which are skipped). */
function repoFiles(): { path: string; source: string }[] {
  return listCodeFiles(REPO).map((p) => ({ path: p, source: fs.readFileSync(path.join(REPO, p), "utf8") }));
}

function allowed(from: string, to: string): boolean {
  const rule = LAYERS[from];
  return rule === "anything" || (rule !== undefined && rule.includes(to));
}

function describeEdge(e: FolderEdge): string {
  return `  ${e.file}:${e.line}  ${e.from} → ${e.to}  (${e.spec})`;
}

describe("layering: the import reader", () => {
  // One snippet, line by line, with the reference the reader must find starting on that line (its kind
  // and specifier), or none.
  const SNIPPET: [string, ImportKind?, string?][] = [
    ['import fs from "node:fs";', "import", "node:fs"],
    ['import type { Limits } from "../stacks/config";', "import", "../stacks/config"],
    ['import "./side-effect";', "import", "./side-effect"],
    ["import {", "import", "../components/common"],
    ["  a,"],
    ['} from "../components/common";'],
    ['export { x } from "./x";', "export", "./x"],
    ['export * as ns from "../services/common/contract";', "export", "../services/common/contract"],
    ['export * from "./all";', "export", "./all"],
    ["export const local = 1;"],
    ["async function f() {"],
    ['  const m = await import("../chaos/cli");', "dynamic", "../chaos/cli"],
    ['  const n = require("../loadtests/outputs");', "require", "../loadtests/outputs"],
    ["  const t = require(`../tooling/stats`);", "require", "../tooling/stats"],
    ["}"],
    ['import cp = require("node:child_process");', "import-equals", "node:child_process"],
    ['type O = typeof import("../stacks/outputs");', "import-type", "../stacks/outputs"],
    ['// import x from "../stacks/config";'],
    ['/* export * from "../chaos/cli"; */'],
    ["const s = \"import y from '../prove/cli'\";"],
    ['const u = `require("../scripts/engine")`;'],
    ['const dir = "../stacks";'],
    ["require(dir + '/config');"],
    ["import(`../${dir}/x`);"],
    ['loader.require("../policy/index");'],
  ];

  it("reads every kind of module reference with its line, and nothing in comments, strings or computed specifiers", () => {
    const want = SNIPPET.flatMap(([, kind, spec], i) => (kind ? [{ spec: spec!, line: i + 1, kind }] : []));
    assert.deepEqual(readImports(SNIPPET.map(([text]) => text).join("\n")), want);
  });

  it("reads JavaScript files (require in a .js file)", () => {
    assert.deepEqual(readImports('const a = require("./a");\nmodule.exports = a;', "x.js"), [
      { spec: "./a", line: 1, kind: "require" },
    ]);
  });

  it("resolves relative specifiers to folders; packages and same-folder imports are no edge", () => {
    const edges = folderEdges(
      [
        {
          path: "components/service.ts",
          source: 'import a from "../stacks/config";\nimport b from "./common";\nimport c from "nats";',
        },
        { path: "index.ts", source: 'import "./stacks/docker";' },
        {
          path: "chaos/drivers/docker.ts",
          source: 'import "../../loadtests/x";\nimport "../../../elsewhere";',
        },
        { path: "stacks/kubernetes.ts", source: 'import { SCRAPE_JOBS } from "../monitoring";' },
      ],
      new Set(["monitoring"]),
    );
    assert.deepEqual(
      edges.map((e) => `${e.file}:${e.line} ${e.from}→${e.to}`),
      [
        "components/service.ts:1 components→stacks",
        `index.ts:1 ${ROOT_FOLDER}→stacks`,
        "chaos/drivers/docker.ts:1 chaos→loadtests",
        "chaos/drivers/docker.ts:2 chaos→(outside)",
        "stacks/kubernetes.ts:1 stacks→monitoring",
      ],
    );
    assert.equal(folderOf("stacks/aws.ts"), "stacks");
    assert.equal(folderOf("index.ts"), ROOT_FOLDER);
  });

  it("finds folder cycles, not mere shared dependencies", () => {
    const e = (from: string, to: string) => ({ from, to });
    assert.deepEqual(folderCycles([e("a", "b"), e("b", "c"), e("a", "c")]), []);
    assert.deepEqual(
      folderCycles([e("loadtests", "chaos"), e("chaos", "loadtests"), e("chaos", "tooling")]),
      [["chaos", "loadtests"]],
    );
    const ring = [e("a", "b"), e("b", "c"), e("c", "a"), e("b", "a"), e("x", "y"), e("y", "x")];
    assert.deepEqual(folderCycles(ring), [
      ["a", "b", "c"],
      ["x", "y"],
    ]);
    assert.deepEqual(shortestCycle(ring, ["a", "b", "c"]), ["a", "b", "a"]);
    assert.deepEqual(shortestCycle([e("a", "b"), e("b", "c"), e("c", "a")], ["a", "b", "c"]), [
      "a",
      "b",
      "c",
      "a",
    ]);
  });
});

describe("layering: folders import only their own layer and those below", () => {
  let files: { path: string; source: string }[] = [];
  let edges: FolderEdge[] = [];
  before(() => {
    files = repoFiles();
    const topDirs = new Set(
      fs
        .readdirSync(REPO, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name),
    );
    edges = folderEdges(files, topDirs);
  });

  it("the table itself has no cycle between different folders", () => {
    const tableEdges = Object.entries(LAYERS).flatMap(([from, to]) =>
      to === "anything" ? [] : to.filter((t) => t !== from).map((t) => ({ from, to: t })),
    );
    assert.deepEqual(folderCycles(tableEdges), []);
  });

  it("every folder with code has a place in the table", () => {
    const folders = [...new Set([...files.map((f) => folderOf(f.path)), ...edges.map((e) => e.to)])];
    const missing = folders.filter((f) => !(f in LAYERS)).sort();
    assert.deepEqual(
      missing,
      [],
      `folders in no layer (add them to LAYERS, with why): ${missing.join(", ")}`,
    );
  });

  it("no file imports a folder above its own (or a sibling it must stay independent of)", () => {
    const bad = edges.filter((e) => !allowed(e.from, e.to));
    assert.ok(
      bad.length === 0,
      `${bad.length} import(s) against the layering (file:line  from → to  (specifier)):\n` +
        bad.map(describeEdge).join("\n"),
    );
  });

  it("the folders' import graph has no cycle", () => {
    const cycles = folderCycles(edges);
    const explain = cycles.map((members) => {
      // The shortest cycle with one example line per arrow; the test above lists every upward line.
      const walk = shortestCycle(edges, members);
      const arrows = walk.slice(1).map((to, i) => edges.find((e) => e.from === walk[i] && e.to === to)!);
      return (
        `folders ${members.join(", ")} reach each other; shortest cycle ${walk.join(" → ")}:\n` +
        arrows.map(describeEdge).join("\n")
      );
    });
    assert.ok(cycles.length === 0, explain.join("\n"));
  });
});
