// Reads the module references of a TypeScript or JavaScript file (what test/unit/layering.test.ts checks
// the folder layering with) and the folder graph they make. Parsed with the TypeScript compiler's own
// parser, so comments, strings and template text that look like imports are not read as imports.
import fs from "node:fs";
import path from "node:path";
import * as ts from "typescript";

export type ImportKind = "import" | "export" | "dynamic" | "require" | "import-equals" | "import-type";

/** One module reference in a file: the specifier as written, its 1-based line and how it was made. */
export interface ImportRef {
  spec: string;
  line: number;
  kind: ImportKind;
}

function scriptKind(fileName: string): ts.ScriptKind {
  if (/\.[cm]?js$/.test(fileName)) return ts.ScriptKind.JS;
  if (/\.tsx$/.test(fileName)) return ts.ScriptKind.TSX;
  return ts.ScriptKind.TS;
}

/** A string literal or a template without substitutions; anything computed is not resolvable here. */
function literalText(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    ? node.text
    : undefined;
}

/**
 * Every module reference with a literal specifier: `import … from`, `import "…"`, `export … from`,
 * `import(…)`, `require(…)`, `import x = require(…)` and type-level `import("…")`. Type-only imports
 * count: a type taken from a folder is a dependency on it all the same.
 */
export function readImports(source: string, fileName = "snippet.ts"): ImportRef[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, scriptKind(fileName));
  const out: ImportRef[] = [];
  const add = (spec: string | undefined, at: ts.Node, kind: ImportKind) => {
    if (spec === undefined) return;
    out.push({ spec, line: sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1, kind });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(literalText(node.moduleSpecifier), node, "import");
    else if (ts.isExportDeclaration(node)) add(literalText(node.moduleSpecifier), node, "export");
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(literalText(node.moduleReference.expression), node, "import-equals");
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(literalText(node.argument.literal), node, "import-type");
    else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword)
        add(literalText(node.arguments[0]), node, "dynamic");
      else if (
        ts.isIdentifier(node.expression) &&
        node.expression.text === "require" &&
        node.arguments.length === 1
      )
        add(literalText(node.arguments[0]), node, "require");
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Files the layering covers: code files under `root`, skipping dependencies, build output and dot folders. */
export const CODE_FILE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", "build", "reports"]);

export function listCodeFiles(root: string, dir = root): string[] {
  const files: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name) && !e.name.startsWith(".")) files.push(...listCodeFiles(root, abs));
    } else if (e.isFile() && CODE_FILE.test(e.name) && !e.name.endsWith(".d.ts")) {
      files.push(path.relative(root, abs).split(path.sep).join("/"));
    }
  }
  return files.sort();
}

/** Files directly in the repository root (index.ts, config files) belong to this pseudo-folder. */
export const ROOT_FOLDER = "(root)";

/** The top-level folder of a repository-relative path ("stacks/aws.ts" → "stacks"). */
export function folderOf(relPath: string): string {
  const i = relPath.indexOf("/");
  return i < 0 ? ROOT_FOLDER : relPath.slice(0, i);
}

/** One reference from a file to a module in another top-level folder. */
export interface FolderEdge {
  file: string;
  line: number;
  spec: string;
  from: string;
  to: string;
}

/**
 * The cross-folder references of `files` (repository-relative paths): relative specifiers resolved
 * against the importing file; package and `node:` specifiers are not folders and are left out. A
 * reference that resolves outside the repository gets the folder "(outside)"; one that names a top-level
 * directory itself (`../monitoring`, its index file) gets that folder when `topDirs` lists it.
 */
export function folderEdges(
  files: { path: string; source: string }[],
  topDirs: ReadonlySet<string> = new Set(),
): FolderEdge[] {
  const edges: FolderEdge[] = [];
  for (const f of files) {
    const from = folderOf(f.path);
    for (const ref of readImports(f.source, f.path)) {
      if (!ref.spec.startsWith("./") && !ref.spec.startsWith("../") && ref.spec !== "." && ref.spec !== "..")
        continue;
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(f.path), ref.spec));
      const to =
        target.startsWith("../") || target === ".."
          ? "(outside)"
          : topDirs.has(target) // "../monitoring": the folder's index file
            ? target
            : folderOf(target);
      if (to !== from) edges.push({ file: f.path, line: ref.line, spec: ref.spec, from, to });
    }
  }
  return edges;
}

/**
 * The cycles of a directed graph given as edges: its strongly connected components of two or more nodes
 * (Tarjan), each as its sorted node names; every node of one reaches every other.
 */
export function folderCycles(edges: { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    if (!next.has(e.to)) next.set(e.to, new Set());
    next.get(e.from)!.add(e.to);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of [...next.get(v)!].sort()) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) components.push(comp);
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) strong(v);
  return components.map((c) => [...c].sort()).sort((a, b) => a[0].localeCompare(b[0]));
}

/**
 * A shortest cycle through the given nodes (a strongly connected component of `edges`), as the list of
 * nodes in walking order with the first repeated at the end: ["a", "b", "a"].
 */
export function shortestCycle(edges: { from: string; to: string }[], members: string[]): string[] {
  const inside = new Set(members);
  const next = new Map<string, string[]>();
  for (const e of edges)
    if (inside.has(e.from) && inside.has(e.to) && e.from !== e.to)
      next.set(e.from, [...new Set([...(next.get(e.from) ?? []), e.to])].sort());
  let best: string[] | undefined;
  for (const start of [...members].sort()) {
    // Breadth-first from `start` until an edge leads back to it.
    const prev = new Map<string, string>();
    const queue = [start];
    let found: string | undefined;
    while (queue.length > 0 && found === undefined) {
      const cur = queue.shift()!;
      for (const w of next.get(cur) ?? []) {
        if (w === start) {
          found = cur;
          break;
        }
        if (!prev.has(w)) {
          prev.set(w, cur);
          queue.push(w);
        }
      }
    }
    if (found === undefined) continue;
    const walk = [found];
    while (walk[0] !== start) walk.unshift(prev.get(walk[0])!);
    walk.push(start);
    if (!best || walk.length < best.length) best = walk;
  }
  return best ?? [];
}
