import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DefinitionError, parseDefinition } from '../src/definition/loader.ts';
import { DEMO } from './helpers.ts';

const demo = await readFile(DEMO, 'utf8');

/** The demo definition with one textual edit; fails the test if the edit does not apply. */
function edited(from: string | RegExp, to: string): string {
  const out = demo.replace(from, to);
  expect(out, `edit ${String(from)} did not apply`).not.toBe(demo);
  return out;
}

function problemsOf(text: string) {
  try {
    parseDefinition(text, 'register.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as DefinitionError).problems;
  }
  throw new Error('expected the definition to be refused');
}

const lineOf = (text: string, needle: string) =>
  text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('register definition', () => {
  it.each(['demo.yaml', 'saas-processor.yaml', 'chat-marketing.yaml'])(
    'accepts examples/%s',
    async (name) => {
      const text = await readFile(new URL(`../examples/${name}`, import.meta.url), 'utf8');
      const reg = parseDefinition(text, name);
      expect(reg.definition.purposes.length).toBeGreaterThan(0);
      expect(reg.digest).toMatch(/^[0-9a-f]{64}$/);
    },
  );

  it('names the path, the expected values and what it found, at the right line', () => {
    const text = edited(/legalBasis: consent/, 'legalBasis: concent');
    const [p] = problemsOf(text);
    expect(p?.path).toMatch(/^purposes\[\d+\]\.legalBasis$/);
    expect(p?.message).toBe(
      'expected one of consent, contract, legal_obligation, vital_interest, public_task, legitimate_interest, found "concent"',
    );
    expect(p?.line).toBe(lineOf(text, 'legalBasis: concent'));
  });

  it('refuses a purpose that uses an undeclared category', () => {
    const problems = problemsOf(
      edited(/(- id: newsletter[\s\S]*?categories: \[)/, '$1shoe_sizes, '),
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: expect.stringMatching(/^purposes\[\d+\]\.categories\[0\]$/),
        message: expect.stringContaining('"shoe_sizes", which is not declared'),
      }),
    );
  });

  it('refuses a legitimate-interest purpose without the interest stated', () => {
    const text = edited(/\n {4}legitimateInterest:\n {6}sv: .*\n {6}fi: .*\n {6}en: .*\n/, '\n');
    expect(problemsOf(text)).toContainEqual(
      expect.objectContaining({
        path: expect.stringMatching(/legitimateInterest$/),
        message: expect.stringContaining('must state the interest'),
      }),
    );
  });

  it('refuses a transfer outside the EU/EEA without a mechanism, and the void Privacy Shield', () => {
    const without = problemsOf(edited(/\n(\s+)mechanism: dpf\n/, '\n'));
    expect(without).toContainEqual(
      expect.objectContaining({
        path: expect.stringMatching(/^transfers\[\d+\]\.mechanism$/),
        message: expect.stringContaining('needs a mechanism'),
      }),
    );
    const shield = problemsOf(edited(/mechanism: dpf/, 'mechanism: privacy_shield'));
    expect(shield).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('invalidated on 16 July 2020') }),
    );
  });

  it('refuses a category no purpose uses', () => {
    const text = edited(
      /^categories:\n/m,
      'categories:\n  - id: hobbies\n    label: { sv: Hobbyer, fi: Harrastukset, en: Hobbies }\n    fields:\n      - id: hobby\n        type: text\n        label: { sv: Hobby, fi: Harrastus, en: Hobby }\n',
    );
    const problems = problemsOf(text);
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: 'categories[0]',
        message: expect.stringContaining('"hobbies" is used by no purpose'),
      }),
    );
    expect(problems.find((p) => p.path === 'categories[0]')?.line).toBe(
      lineOf(text, 'id: hobbies'),
    );
  });

  it('refuses a reference to the repealed Personal Data Act', () => {
    const problems = problemsOf(
      edited(/law: Kirjanpitolaki 1336\/1997/, 'law: Henkilötietolaki 523/1999'),
    );
    expect(problems).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining('Data Protection Act 1050/2018'),
      }),
    );
  });

  it('refuses an unknown key, a missing section and broken YAML', () => {
    expect(problemsOf(`${demo}\nfavouriteColour: blue\n`)).toContainEqual(
      expect.objectContaining({
        message: expect.stringContaining('unknown key(s) "favouriteColour"'),
      }),
    );
    expect(problemsOf(demo.replace(/^controller:/m, 'kontroller:'))).toContainEqual(
      expect.objectContaining({ path: 'controller', message: 'required object is missing' }),
    );
    const broken = problemsOf('version: 1\ncontroller: [unclosed\n');
    expect(broken[0]?.message).toMatch(/^YAML syntax/);
    expect(broken[0]?.line).toBeGreaterThan(0);
  });

  it('reports every problem at once', () => {
    const text = edited(/legalBasis: consent/, 'legalBasis: concent').replace(
      /mechanism: dpf/,
      'mechanism: teleport',
    );
    expect(problemsOf(text).length).toBeGreaterThanOrEqual(2);
  });
});
