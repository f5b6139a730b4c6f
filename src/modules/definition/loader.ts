/**
 * Loads a register definition from YAML: parse, validate with zod, cross-check against itself
 * and the law, and return an indexed, frozen Register. Every problem carries the path in the
 * document and, where the YAML has it, the line and column.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isAlias, isMap, isNode, isScalar, isSeq } from 'yaml';
import type { Document } from 'yaml';
import type { z } from 'zod';
import { definitionSchema, fillLanguages, type RegisterDefinition } from './schema.ts';
import { crossCheck } from './cross-checks.ts';
import { createRegister, type Register } from './register.ts';

export interface DefinitionProblem {
  /** `purposes[2].legalBasis` */
  path: string;
  message: string;
  line?: number;
  column?: number;
  /** A warning is printed but does not make the definition invalid. */
  severity?: 'warning';
}

export const isWarning = (p: DefinitionProblem) => p.severity === 'warning';

/** The problems split: errors make the definition invalid, warnings do not. */
export function splitProblems(problems: readonly DefinitionProblem[]): {
  errors: DefinitionProblem[];
  warnings: DefinitionProblem[];
} {
  return {
    errors: problems.filter((p) => !isWarning(p)),
    warnings: problems.filter(isWarning),
  };
}

/** How far a refused definition was read, so that its warnings can still be computed. */
export interface PartlyRead {
  /**
   * The definition as far as it parsed (its missing texts stood in for), for the notice's gaps;
   * absent where the schema refused it for more than a missing text.
   */
  definition?: RegisterDefinition;
  /** Line and column of a path in the text. */
  locate?: (path: string) => { line?: number; column?: number };
  /** Why no warnings were computed, where none could be (the schema refused the text). */
  noWarnings?: string;
}

export class DefinitionError extends Error {
  readonly problems: DefinitionProblem[];
  readonly file: string;
  readonly partly: PartlyRead;

  constructor(file: string, problems: DefinitionProblem[], partly: PartlyRead = {}) {
    const warnings = problems.filter(isWarning).length;
    const errors = problems.length - warnings;
    // Errors first, then the warnings: what must be fixed apart from what the notice leaves unsaid.
    const split = splitProblems(problems);
    super(
      `${file}: ${errors} problem(s) in the register definition${warnings > 0 ? `, and ${warnings} warning(s)` : ''}\n${formatProblems(file, [...split.errors, ...split.warnings])}`,
    );
    this.name = 'DefinitionError';
    this.file = file;
    this.problems = problems;
    this.partly = partly;
  }
}

export function formatProblems(file: string, problems: DefinitionProblem[]): string {
  return problems
    .map((p) => {
      const where = p.line === undefined ? file : `${file}:${p.line}:${p.column ?? 1}`;
      return `  ${where}  ${p.path || '(document)'}: ${isWarning(p) ? 'warning: ' : ''}${p.message}`;
    })
    .join('\n');
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') {
      out += `[${part}]`;
    } else {
      out += out === '' ? String(part) : `.${String(part)}`;
    }
  }
  return out;
}

function describeFound(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (Array.isArray(value)) {
    return 'a list';
  }
  if (value === null) {
    return 'null';
  }
  if (typeof value === 'object') {
    return 'a mapping';
  }
  return JSON.stringify(value);
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') {
      return undefined;
    }
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

type Schema = z.core.$ZodType;
type Def = { type: string } & Record<string, unknown>;
const defOf = (schema: Schema) => schema._zod.def as unknown as Def;

/** The schemas a value may be parsed by once optional, default, pipe and union are unwrapped. */
function unwrap(schema: Schema): Schema[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'nonoptional':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return unwrap(def.innerType as Schema);
    case 'pipe':
      return unwrap(def.in as Schema);
    case 'lazy':
      return unwrap((def.getter as () => Schema)());
    case 'union':
      return (def.options as Schema[]).flatMap(unwrap);
    case 'intersection':
      return [...unwrap(def.left as Schema), ...unwrap(def.right as Schema)];
    default:
      return [schema];
  }
}

/** The keys an object at `path` may have, according to the schema. */
function keysAt(schema: Schema, path: ReadonlyArray<PropertyKey>): string[] {
  let schemas = unwrap(schema);
  for (const key of path) {
    schemas = schemas.flatMap((s): Schema[] => {
      const def = defOf(s);
      if (def.type === 'object' && typeof key === 'string') {
        const child = (def.shape as Record<string, Schema>)[key];
        return child ? unwrap(child) : [];
      }
      if (def.type === 'array' && typeof key === 'number') {
        return unwrap(def.element as Schema);
      }
      if (def.type === 'tuple' && typeof key === 'number') {
        const item = (def.items as Schema[])[key];
        return item ? unwrap(item) : [];
      }
      if (def.type === 'record') {
        return unwrap(def.valueType as Schema);
      }
      return [];
    });
  }
  const keys = new Set<string>();
  for (const s of schemas) {
    const def = defOf(s);
    if (def.type === 'object') {
      for (const k of Object.keys(def.shape as object)) {
        keys.add(k);
      }
    }
  }
  return [...keys];
}

/** Edit distance with transpositions (optimal string alignment), case-insensitive. */
function distance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++) {
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min(
        (prev[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (prev[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[s.length] as number[])[t.length] as number;
}

/** The declared key a misspelt one most likely meant, if one is close enough. */
export function suggestKey(key: string, allowed: readonly string[]): string | undefined {
  if (key.length > 64) {
    return undefined;
  }
  const limit = Math.max(1, Math.min(3, Math.floor(key.length / 4)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

interface LocatedProblem extends DefinitionProblem {
  /** Where in the document, as keys rather than the printed path. */
  keys: PropertyKey[];
  /** Report at the key itself (an unknown key), not at its value. */
  atKey?: boolean;
}

/** Turns zod issues into problems phrased for a person editing YAML. */
export function zodProblems(error: z.ZodError, raw: unknown): DefinitionProblem[] {
  return locatableProblems(error, raw).map(({ keys: _keys, atKey: _atKey, ...p }) => p);
}

type Issue = z.core.$ZodIssue;

/**
 * A value a union refused (`unknown`, or an answer): where exactly one option was refused for
 * something inside the value (a wrong `kind` in the mapping) rather than for the value's type, the
 * issues inside it are reported, each at its own path, instead of "invalid input" at the union.
 */
function intoUnions(issues: readonly Issue[]): Issue[] {
  return issues.flatMap((issue): Issue[] => {
    if (issue.code !== 'invalid_union') {
      return [issue];
    }
    const inside = issue.errors.filter(
      (errs) =>
        !errs.every(
          (e) => e.path.length === 0 && (e.code === 'invalid_type' || e.code === 'invalid_value'),
        ),
    );
    const [only] = inside;
    if (inside.length !== 1 || only === undefined) {
      return [issue];
    }
    return intoUnions(only.map((e) => ({ ...e, path: [...issue.path, ...e.path] })));
  });
}

function locatableProblems(error: z.ZodError, raw: unknown): LocatedProblem[] {
  const out: LocatedProblem[] = [];
  const issues = intoUnions(error.issues);
  // `legalbasis` for `legalBasis`: the unknown key is the problem, not the missing one it meant.
  const meant = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') {
      continue;
    }
    const allowed = keysAt(definitionSchema, issue.path);
    for (const key of issue.keys) {
      const keys = [...issue.path, key];
      const quoted = JSON.stringify(key.length > 60 ? `${key.slice(0, 57)}...` : key);
      const suggestion = suggestKey(key, allowed);
      let message: string;
      if (suggestion !== undefined) {
        message = `unknown key ${quoted}: did you mean "${suggestion}"?`;
        meant.add(formatPath([...issue.path, suggestion]));
      } else {
        message =
          allowed.length > 0
            ? `unknown key ${quoted}; the keys allowed here are ${allowed.join(', ')}`
            : `unknown key ${quoted}`;
      }
      out.push({ path: formatPath(keys), message, keys, atKey: true });
    }
  }
  for (const issue of issues) {
    const path = issue.path;
    const found = valueAt(raw, path);
    let message: string;
    if (
      issue.code === 'unrecognized_keys' ||
      (found === undefined && meant.has(formatPath(path)))
    ) {
      continue;
    }
    switch (issue.code) {
      case 'invalid_value':
        message = `expected one of ${issue.values.map((v) => String(v)).join(', ')}, found ${describeFound(found)}`;
        break;
      case 'invalid_type':
        message =
          found === undefined
            ? `required ${issue.expected} is missing`
            : `expected ${issue.expected}, found ${describeFound(found)}`;
        break;
      case 'custom':
        message =
          issue.params?.quotesValue === true
            ? issue.message
            : `${issue.message}, found ${describeFound(found)}`;
        break;
      default:
        message = `${issue.message}, found ${describeFound(found)}`;
    }
    out.push({ path: formatPath(path), message, keys: [...path] });
  }
  return out;
}

/** `purposes[2].legalBasis` → ['purposes', 2, 'legalBasis'] */
function parsePath(path: string): PropertyKey[] {
  const keys: PropertyKey[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    keys.push(m[2] === undefined ? (m[1] as string) : Number(m[2]));
  }
  return keys;
}

/**
 * Line and column of the node at `keys`: of the key itself when `atKey`, else of its value. A
 * path that does not exist in the YAML (a missing key) is reported at the nearest parent.
 */
function locate(
  doc: Document,
  counter: LineCounter,
  keys: ReadonlyArray<PropertyKey>,
  atKey = false,
): { line?: number; column?: number } {
  const at = (node: unknown) => {
    if (isNode(node) && node.range) {
      const pos = counter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
    return undefined;
  };
  let node: unknown = doc.contents;
  let found = at(node) ?? {};
  for (const [i, key] of keys.entries()) {
    if (isAlias(node)) {
      node = node.resolve(doc);
    }
    let next: unknown;
    let keyNode: unknown;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(key),
      );
      keyNode = pair?.key;
      next = pair?.value;
    } else if (isSeq(node) && typeof key === 'number') {
      next = node.items[key];
    }
    if (atKey && i === keys.length - 1 && keyNode !== undefined) {
      return at(keyNode) ?? found;
    }
    const pos = at(next);
    if (pos === undefined) {
      return found;
    }
    found = pos;
    node = next;
  }
  return found;
}

/**
 * Where a path is in a definition's text, for findings made after loading: the text is parsed
 * again on the first lookup (a server that never asks keeps no syntax tree), then kept.
 */
function locatorFor(text: string): (path: string) => { line?: number; column?: number } {
  let parsed: { doc: Document; counter: LineCounter } | undefined;
  return (path) => {
    if (parsed === undefined) {
      const counter = new LineCounter();
      parsed = { doc: parseDocument(text, { lineCounter: counter }), counter };
    }
    return locate(parsed.doc, parsed.counter, parsePath(path));
  };
}

/**
 * The definition with each missing text stood in for, where a missing text is all the schema
 * refused; undefined otherwise.
 */
function withTextsStoodIn(raw: unknown, error: z.ZodError): RegisterDefinition | undefined {
  const missing = error.issues.filter(
    (i) => i.code === 'custom' && i.params?.missingText === true && i.path.length > 0,
  );
  if (missing.length === 0 || missing.length !== error.issues.length) {
    return undefined;
  }
  const copy = structuredClone(raw);
  for (const issue of missing) {
    const parent = valueAt(copy, issue.path.slice(0, -1));
    if (parent === null || typeof parent !== 'object') {
      return undefined;
    }
    (parent as Record<PropertyKey, unknown>)[issue.path[issue.path.length - 1] as PropertyKey] =
      '…';
  }
  const again = definitionSchema.safeParse(copy);
  return again.success ? fillLanguages(again.data) : undefined;
}

const byPosition = (a: DefinitionProblem, b: DefinitionProblem) =>
  (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);

/**
 * Parses and checks YAML text; throws DefinitionError with every problem found, in line order.
 * The returned register carries the warnings (definition.warnings).
 */
export function parseDefinition(
  text: string,
  file = 'register.yaml',
  /**
   * The day a notice's review is measured against (YYYY-MM-DD), as `rekisteri check` gives it;
   * without it no warning depends on the date.
   */
  today?: string,
): Register {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const [firstError] = doc.errors;
  if (firstError !== undefined) {
    // One mistake (an unclosed bracket, a bad indent) makes the parser report many errors after
    // it; only the first is reliably the one to fix.
    const pos = firstError.linePos?.[0] ?? counter.linePos(firstError.pos[0]);
    throw new DefinitionError(file, [
      {
        path: '',
        message: `YAML syntax: ${firstError.message.split('\n')[0] ?? firstError.code}`,
        line: pos.line,
        column: pos.col,
      },
    ]);
  }
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (err) {
    // An alias whose anchor is missing, or aliases that would expand beyond reason (the YAML
    // library stops an alias bomb here): the text is refused like any other mistake.
    const reason = err instanceof Error ? (err.message.split('\n')[0] ?? '') : '';
    throw new DefinitionError(file, [
      { path: '', message: `YAML: ${reason || 'the text cannot be read'}` },
    ]);
  }
  const parsed = definitionSchema.safeParse(raw);
  if (parsed.success) {
    // Texts in the languages the register does not publish repeat its first language.
    fillLanguages(parsed.data);
  }
  // A definition whose only fault is a missing text is checked further, the texts stood in for:
  // its other errors and its warnings are reported at once, not one round of fixes after another.
  const checked = parsed.success ? parsed.data : withTextsStoodIn(raw, parsed.error);
  const at = (p: DefinitionProblem) => ({ ...p, ...locate(doc, counter, parsePath(p.path)) });
  const problems: DefinitionProblem[] = [
    ...(parsed.success
      ? []
      : locatableProblems(parsed.error, raw).map(({ keys, atKey, ...p }) => ({
          ...p,
          ...locate(doc, counter, keys, atKey),
        }))),
    ...(checked ? crossCheck(checked, today).map(at) : []),
  ];
  problems.sort(byPosition);
  if (!parsed.success || problems.some((p) => !isWarning(p))) {
    throw new DefinitionError(file, problems, {
      ...(checked ? { definition: checked } : {}),
      locate: (path) => locate(doc, counter, parsePath(path)),
      ...(checked
        ? {}
        : {
            noWarnings:
              'warnings not computed: the cross-checks and the notice gaps need a definition the schema accepts; fix the errors above and check again',
          }),
    });
  }
  return createRegister(parsed.data, text, problems, locatorFor(text));
}

export async function loadDefinition(file: string, today?: string): Promise<Register> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DefinitionError(file, [
      {
        path: '',
        message: code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? 'error'})`,
      },
    ]);
  }
  return parseDefinition(text, file, today);
}
