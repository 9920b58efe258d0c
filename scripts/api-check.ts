// The API check of @proving-ground/components (semantic versioning, issue 16 item 4): the declarations
// the package emits now against those of the last released version (packages/components/api/<version>/,
// recorded by `npm run pack:components -- --snapshot`). It is a compiler check: for every export of the
// old entry point it generates a line of TypeScript that type-checks only while the export is still
// compatible, compiles the lines with the TypeScript API against both trees of .d.ts, and names the export
// and the arg on each line that fails.
//
// What counts as breaking:
//   - an export removed (a type, a class, a function or a constant);
//   - in an exported type (Args and the value types they take): a key removed, or the old key's type no
//     longer assignable to the new one (a narrowed or changed arg; optional → required), or an old value
//     of the type no longer accepted as a whole (a new required field). Types that exported functions only
//     return are checked the other way round (the new type must still be assignable to the old one);
//   - a class whose old constructor arguments are no longer accepted, or a public property removed or
//     changed; a function whose old arguments are no longer accepted or whose result no longer fits the
//     old one; a constant whose value type no longer fits the old one.
// Adding exports, optional args or wider arg types is not breaking. Nested objects are compared by type
// (a narrowed nested field fails; a removed optional nested field does not).
import fs from "node:fs";
import path from "node:path";
import * as ts from "typescript";

const REPO_ROOT = path.resolve(__dirname, "..");
/** Where the two trees are mounted for the compiler: inside the repository, so `@pulumi/*` resolve. */
const MOUNT = path.join(REPO_ROOT, "packages", "components", ".api-check");
const CHECK_FILE = path.join(MOUNT, "check.ts");
const ENTRY = "components/index";

/** A tree of .d.ts files by relative path ("components/index.d.ts" is the entry point). */
export type DtsTree = Record<string, string>;

export interface ApiRelease {
  version: string;
  files: DtsTree;
}

/** One incompatibility: the export (and arg) it concerns and what changed. */
export interface ApiBreak {
  /** "NatsClusterArgs.replicas", "NatsCluster", ... */
  name: string;
  message: string;
}

export interface ApiCheckResult {
  /** Every incompatibility found, whatever the versions. */
  breaks: ApiBreak[];
  /** Whether the version step allows them (a major bump; below 1.0.0 a minor bump, as npm's ^0.x). */
  majorBump: boolean;
  /** Breaks without a major bump: the check fails when this is not empty. */
  failures: ApiBreak[];
}

/** The .d.ts files below `dir`, by relative path. */
export function readDtsTree(dir: string, rel = ""): DtsTree {
  const out: DtsTree = {};
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, readDtsTree(dir, p));
    else if (e.name.endsWith(".d.ts")) out[p] = fs.readFileSync(path.join(dir, p), "utf8");
  }
  return out;
}

/** Whether going from `from` to `to` is a major step (below 1.0.0, a minor step counts, as for npm's ^). */
export function isMajorBump(from: string, to: string): boolean {
  const parse = (v: string) => {
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(v);
    if (!m) throw new Error(`not a semantic version: ${v}`);
    return [Number(m[1]), Number(m[2])];
  };
  const [a, b] = [parse(from), parse(to)];
  return b[0] > a[0] || (a[0] === 0 && b[0] === 0 && b[1] > a[1]);
}

const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  types: ["node"],
};

// Parsed files outside the mounted trees (lib, @types, @pulumi/*), shared by every check of a process.
const parsed = new Map<string, ts.SourceFile>();

/** A compiler host that serves `virtual` (absolute path → text) on top of the real file system. */
function hostWith(virtual: Map<string, string>): ts.CompilerHost {
  const host = ts.createCompilerHost(OPTIONS, true);
  const dirs = new Set<string>();
  for (const f of virtual.keys())
    for (let d = path.dirname(f); d.startsWith(MOUNT); d = path.dirname(d)) dirs.add(d);
  const real = {
    fileExists: host.fileExists,
    readFile: host.readFile,
    directoryExists: host.directoryExists,
  };
  host.fileExists = (f) => virtual.has(f) || (!f.startsWith(MOUNT) && real.fileExists(f));
  host.readFile = (f) => virtual.get(f) ?? (f.startsWith(MOUNT) ? undefined : real.readFile(f));
  host.directoryExists = (d) => dirs.has(d) || (!d.startsWith(MOUNT) && (real.directoryExists?.(d) ?? true));
  host.getSourceFile = (f, lang) => {
    const text = virtual.get(f);
    if (text !== undefined) return ts.createSourceFile(f, text, lang);
    let sf = parsed.get(f);
    if (!sf) {
      const t = real.readFile(f);
      if (t === undefined) return undefined;
      sf = ts.createSourceFile(f, t, lang);
      parsed.set(f, sf);
    }
    return sf;
  };
  return host;
}

function mount(virtual: Map<string, string>, side: "old" | "new", files: DtsTree): void {
  for (const [rel, text] of Object.entries(files)) virtual.set(path.join(MOUNT, side, rel), text);
}

type ExportKind = "type" | "class" | "function" | "const";
interface ExportInfo {
  name: string;
  kind: ExportKind;
  /** Property names of an object type (all members of a union), or of a class's instances. */
  keys: string[];
  /** Old type text of each key, for messages. */
  keyTypes: Record<string, string>;
}

type OldApi = { exports: ExportInfo[]; outputsOnly: Set<string> };
const described = new Map<string, OldApi>();

/** The old entry point's exports, each with its kind and keys, and the type names only ever returned. */
function describeOld(files: DtsTree): OldApi {
  const key = JSON.stringify(Object.entries(files).sort());
  const known = described.get(key);
  if (known) return known;
  const api = describeTree(files);
  described.set(key, api);
  return api;
}

function describeTree(files: DtsTree): OldApi {
  const virtual = new Map<string, string>();
  mount(virtual, "old", files);
  const entry = path.join(MOUNT, "old", `${ENTRY}.d.ts`);
  const program = ts.createProgram([entry], OPTIONS, hostWith(virtual));
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(entry);
  const moduleSymbol = sf && checker.getSymbolAtLocation(sf);
  if (!moduleSymbol) throw new Error(`api check: no entry point ${ENTRY}.d.ts in the old release`);
  const inputs = new Set<string>();
  const outputs = new Set<string>();
  const nameOf = (t: ts.Type) => (t.aliasSymbol ?? t.getSymbol())?.getName();
  const note = (set: Set<string>, t: ts.Type) => {
    const n = nameOf(t);
    if (n) set.add(n);
    if (t.isUnion()) t.types.forEach((m) => note(set, m));
  };
  const signatureTypes = (sig: ts.Signature) => {
    for (const p of sig.getParameters()) note(inputs, checker.getTypeOfSymbol(p));
    note(outputs, sig.getReturnType());
  };
  const keysOf = (t: ts.Type): ts.Symbol[] => {
    const members = t.isUnion() ? t.types : [t];
    const seen = new Map<string, ts.Symbol>();
    for (const m of members)
      for (const p of checker.getPropertiesOfType(m)) if (!seen.has(p.getName())) seen.set(p.getName(), p);
    return [...seen.values()];
  };
  const exports: ExportInfo[] = [];
  for (const exp of checker.getExportsOfModule(moduleSymbol)) {
    const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
    const name = exp.getName();
    let kind: ExportKind;
    let props: ts.Symbol[] = [];
    if (sym.flags & ts.SymbolFlags.Class) {
      kind = "class";
      const ctorType = checker.getTypeOfSymbol(sym);
      ctorType.getConstructSignatures().forEach(signatureTypes);
      props = checker
        .getPropertiesOfType(checker.getDeclaredTypeOfSymbol(sym))
        .filter(
          (p) =>
            !(
              ts.getCombinedModifierFlags(p.valueDeclaration ?? p.declarations![0]) &
              ts.ModifierFlags.NonPublicAccessibilityModifier
            ),
        );
    } else if (sym.flags & ts.SymbolFlags.Function) {
      kind = "function";
      checker.getTypeOfSymbol(sym).getCallSignatures().forEach(signatureTypes);
    } else if (sym.flags & ts.SymbolFlags.Variable) {
      kind = "const";
    } else {
      kind = "type";
      // Keys of object types (and unions of them); a literal union or a function type is compared whole.
      const t = checker.getDeclaredTypeOfSymbol(sym);
      const objects = (t.isUnion() ? t.types : [t]).every((m) => m.flags & ts.TypeFlags.Object);
      if (objects && t.getCallSignatures().length === 0) props = keysOf(t);
    }
    const keyTypes: Record<string, string> = {};
    for (const p of props) keyTypes[p.getName()] = checker.typeToString(checker.getTypeOfSymbol(p));
    exports.push({ name, kind, keys: props.map((p) => p.getName()), keyTypes });
  }
  return { exports, outputsOnly: new Set([...outputs].filter((n) => !inputs.has(n))) };
}

/** The generated check program: one line per check, and what a failing line means. */
export function checkSource(
  exports: ExportInfo[],
  outputsOnly: Set<string>,
): { source: string; lines: ApiBreak[] } {
  const lines: string[] = [
    `import type * as Old from "./old/${ENTRY}";`,
    `import type * as New from "./new/${ENTRY}";`,
    "type Keys<T> = T extends unknown ? keyof T : never;",
    "type Prop<T, K extends PropertyKey> = T extends unknown ? (K extends keyof T ? T[K] : never) : never;",
    "type Fits<A, B> = [A] extends [B] ? true : false;",
    "type Has<T, K extends PropertyKey> = K extends Keys<T> ? true : false;",
    "type Kept<O, N, K extends PropertyKey> = K extends Keys<N> ? Fits<Prop<O, K>, Prop<N, K>> : true;",
    "type KeptOut<O, N, K extends PropertyKey> = K extends Keys<N> ? Fits<Prop<N, K>, Prop<O, K>> : true;",
  ];
  const meaning: ApiBreak[] = lines.map(() => ({ name: "", message: "" }));
  let n = 0;
  const add = (name: string, message: string, code: string) => {
    lines.push(code.replace(/\$/g, `c${n++}`));
    meaning.push({ name, message });
  };
  const key = (k: string) => JSON.stringify(k);
  for (const e of exports) {
    const X = e.name;
    if (e.kind === "type") {
      add(X, `export ${X} (a type) was removed`, `type $ = New.${X};`);
      const out = outputsOnly.has(X);
      for (const k of e.keys) {
        add(`${X}.${k}`, `${X}.${k} was removed`, `const $: Has<New.${X}, ${key(k)}> = true;`);
        add(
          `${X}.${k}`,
          out
            ? `${X}.${k} changed type: the new type no longer fits the old ${e.keyTypes[k]}`
            : `${X}.${k} changed type: the old ${e.keyTypes[k]} is no longer accepted`,
          `const $: ${out ? "KeptOut" : "Kept"}<Old.${X}, New.${X}, ${key(k)}> = true;`,
        );
      }
      add(
        X,
        out
          ? `${X}: the new type no longer fits the old one`
          : `${X}: an old value is no longer accepted (a new required field, or a changed one)`,
        out ? `const $: Fits<New.${X}, Old.${X}> = true;` : `const $: Fits<Old.${X}, New.${X}> = true;`,
      );
    } else {
      add(X, `export ${X} (a ${e.kind}) was removed`, `declare const $: typeof New.${X};`);
    }
    if (e.kind === "class") {
      add(
        X,
        `${X}: the old constructor arguments are no longer accepted`,
        `const $: Fits<ConstructorParameters<typeof Old.${X}>, ConstructorParameters<typeof New.${X}>> = true;`,
      );
      for (const k of e.keys) {
        add(
          `${X}.${k}`,
          `${X}.${k} (a public property) was removed`,
          `const $: Has<New.${X}, ${key(k)}> = true;`,
        );
        add(
          `${X}.${k}`,
          `${X}.${k} changed type: no longer fits the old ${e.keyTypes[k]}`,
          `const $: KeptOut<Old.${X}, New.${X}, ${key(k)}> = true;`,
        );
      }
    }
    if (e.kind === "function") {
      add(
        X,
        `${X}(): the old arguments are no longer accepted`,
        `const $: Fits<Parameters<typeof Old.${X}>, Parameters<typeof New.${X}>> = true;`,
      );
      add(
        X,
        `${X}(): the result no longer fits the old one`,
        `const $: Fits<ReturnType<typeof New.${X}>, ReturnType<typeof Old.${X}>> = true;`,
      );
    }
    if (e.kind === "const")
      add(
        X,
        `${X}: the value's type no longer fits the old one`,
        `const $: Fits<typeof New.${X}, typeof Old.${X}> = true;`,
      );
  }
  return { source: lines.join("\n") + "\n", lines: meaning };
}

/** Compares two releases' declarations; see ApiCheckResult. */
export function checkApi(old: ApiRelease, now: ApiRelease): ApiCheckResult {
  const { exports, outputsOnly } = describeOld(old.files);
  const { source, lines } = checkSource(exports, outputsOnly);
  const virtual = new Map<string, string>([[CHECK_FILE, source]]);
  mount(virtual, "old", old.files);
  mount(virtual, "new", now.files);
  const program = ts.createProgram([CHECK_FILE], OPTIONS, hostWith(virtual));
  const sf = program.getSourceFile(CHECK_FILE)!;
  const breaks: ApiBreak[] = [];
  const seen = new Set<string>();
  const diags = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
  for (const d of diags) {
    const line = d.start === undefined ? -1 : sf.getLineAndCharacterOfPosition(d.start).line;
    const b = lines[line];
    if (!b || !b.name) {
      breaks.push({ name: "(check program)", message: ts.flattenDiagnosticMessageText(d.messageText, "\n") });
      continue;
    }
    if (!seen.has(b.message)) breaks.push(b);
    seen.add(b.message);
  }
  const majorBump = isMajorBump(old.version, now.version);
  return { breaks, majorBump, failures: majorBump ? [] : breaks };
}

/** The newest version recorded in `apiDir` (folders named by version). */
export function lastRelease(apiDir: string): string | undefined {
  const num = (v: string) => v.split(".").map(Number);
  return fs
    .readdirSync(apiDir)
    .filter((v) => /^\d+\.\d+\.\d+$/.test(v))
    .sort((a, b) => {
      const [x, y] = [num(a), num(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    })
    .pop();
}

/**
 * Keys of the exported types of an entry point (the Args and the value types they take; every member of
 * a union) without a doc comment, or optional without saying what leaving them out means, as
 * "Type.key: why". The package promises a comment on every field and default.
 */
export function undocumentedKeys(files: DtsTree): string[] {
  const virtual = new Map<string, string>();
  mount(virtual, "new", files);
  const entry = path.join(MOUNT, "new", `${ENTRY}.d.ts`);
  const program = ts.createProgram([entry], OPTIONS, hostWith(virtual));
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const missing: string[] = [];
  for (const exp of checker.getExportsOfModule(moduleSymbol)) {
    const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp;
    if (!(sym.flags & (ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias))) continue;
    const t = checker.getDeclaredTypeOfSymbol(sym);
    const members = t.isUnion() ? t.types : [t];
    if (!members.every((m) => m.flags & ts.TypeFlags.Object) || t.getCallSignatures().length) continue;
    for (const m of members)
      for (const p of checker.getPropertiesOfType(m)) {
        const doc = ts.displayPartsToString(p.getDocumentationComment(checker));
        if (doc.trim() === "") missing.push(`${exp.getName()}.${p.getName()}: no doc comment`);
        // An optional field says what leaving it out means.
        else if (
          p.flags & ts.SymbolFlags.Optional &&
          !/default|unset|omitted|none|off\b|undefined/i.test(doc)
        )
          missing.push(`${exp.getName()}.${p.getName()}: optional, but its doc names no default`);
      }
  }
  return [...new Set(missing)].sort();
}
