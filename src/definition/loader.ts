/**
 * Loads a register definition from YAML: parse, validate with zod, cross-check against itself
 * and the law, and return an indexed, frozen Register. Every problem carries the path in the
 * document and, where the YAML has it, the line and column.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import type { z } from 'zod';
import { definitionSchema, type RegisterDefinition } from './schema.ts';
import { crossCheck } from './cross-checks.ts';
import { createRegister, type Register } from './register.ts';

export interface DefinitionProblem {
  /** `purposes[2].legalBasis` */
  path: string;
  message: string;
  line?: number;
  column?: number;
}

export class DefinitionError extends Error {
  readonly problems: DefinitionProblem[];
  readonly file: string;

  constructor(file: string, problems: DefinitionProblem[]) {
    super(
      `${file}: ${problems.length} problem(s) in the register definition\n${formatProblems(file, problems)}`,
    );
    this.name = 'DefinitionError';
    this.file = file;
    this.problems = problems;
  }
}

export function formatProblems(file: string, problems: DefinitionProblem[]): string {
  return problems
    .map((p) => {
      const where = p.line === undefined ? file : `${file}:${p.line}:${p.column ?? 1}`;
      return `  ${where}  ${p.path || '(document)'}: ${p.message}`;
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

/** Turns zod issues into problems phrased for a person editing YAML. */
export function zodProblems(error: z.ZodError, raw: unknown): DefinitionProblem[] {
  return error.issues.map((issue) => {
    const path = issue.path;
    const found = valueAt(raw, path);
    let message: string;
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
      case 'unrecognized_keys':
        message = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
        break;
      default:
        message = `${issue.message}, found ${describeFound(found)}`;
    }
    return { path: formatPath(path), message };
  });
}

function locate(
  doc: Document,
  counter: LineCounter,
  path: string,
): { line?: number; column?: number } {
  const keys: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    keys.push(m[2] === undefined ? (m[1] as string) : Number(m[2]));
  }
  // Walk up until a node exists: a missing key is reported at its parent.
  for (let n = keys.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(keys.slice(0, n), true);
    if (isNode(node) && node.range) {
      const pos = counter.linePos(node.range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return {};
}

/** Parses and checks YAML text; throws DefinitionError with every problem found. */
export function parseDefinition(text: string, file = 'register.yaml'): Register {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new DefinitionError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? counter.linePos(e.pos[0]);
        return {
          path: '',
          message: `YAML syntax: ${e.message.split('\n')[0] ?? e.code}`,
          line: pos?.line,
          column: pos?.col,
        };
      }),
    );
  }
  const raw: unknown = doc.toJS();
  const parsed = definitionSchema.safeParse(raw);
  let problems: DefinitionProblem[];
  let definition: RegisterDefinition | undefined;
  if (parsed.success) {
    definition = parsed.data;
    problems = crossCheck(definition);
  } else {
    problems = zodProblems(parsed.error, raw);
  }
  if (problems.length > 0) {
    throw new DefinitionError(
      file,
      problems.map((p) => ({ ...p, ...locate(doc, counter, p.path) })),
    );
  }
  return createRegister(definition as RegisterDefinition, text);
}

export async function loadDefinition(file: string): Promise<Register> {
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
  return parseDefinition(text, file);
}
