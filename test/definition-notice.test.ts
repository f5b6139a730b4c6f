/**
 * What a definition made from a real notice can say (issue 12, items 1 and 5): the notice's own
 * metadata, `unknown` as a state reported as a warning with its article, disclosures, sources per
 * category, open-ended items, declared languages, and transfers checked against the law.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DefinitionError, parseDefinition } from '../src/modules/definition/loader.ts';
import type { DefinitionProblem } from '../src/modules/definition/loader.ts';
import { DISCLOSURE_TEXTS, appointedDpo } from '../src/modules/definition/schema.ts';
import { reaches } from '../src/modules/subjects/use-cases/stop-processing.ts';
import { DEMO } from './helpers.ts';

const demo = await readFile(DEMO, 'utf8');
const TODAY = '2026-11-30';

function edited(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  expect(out, `edit ${String(from)} did not apply`).not.toBe(text);
  return out;
}
const edit = (from: string | RegExp, to: string) => edited(demo, from, to);

const load = (text: string, today = TODAY) => parseDefinition(text, 'register.yaml', today);

function problemsOf(text: string, today = TODAY): DefinitionProblem[] {
  try {
    load(text, today);
  } catch (err) {
    expect(err).toBeInstanceOf(DefinitionError);
    return (err as DefinitionError).problems;
  }
  throw new Error('expected the definition to be refused');
}
const errorsOf = (text: string) => problemsOf(text).filter((p) => p.severity !== 'warning');
/** The errors of a text, none when it loads. */
function errorsOrNone(text: string): DefinitionProblem[] {
  try {
    load(text);
    return [];
  } catch {
    return errorsOf(text);
  }
}
const warningsOf = (text: string, today = TODAY) => [...load(text, today).warnings];

/** A recipient and a transfer to it, added to the demo. */
function withRecipient(recipient: string, transfer?: string, text = demo): string {
  let out = edited(text, /^recipients:\n/m, `recipients:\n${recipient}`);
  if (transfer !== undefined) {
    out = edited(out, /^transfers:\n/m, `transfers:\n${transfer}`);
  }
  return out;
}
const recipientYaml = (id: string, country: string, extra = '', role = 'processor') =>
  `  - id: ${id}\n    name: ${id} Ltd\n    role: ${role}\n    country: ${country}\n${extra}    description:\n      sv: Mottagare\n      fi: Vastaanottaja\n      en: Recipient\n`;

describe('the notice section', () => {
  it('holds the date, version, review and how changes are announced', () => {
    const n = load(demo).definition.notice;
    expect(n?.date).toBe('2026-03-02');
    expect(n?.version).toBe('4');
    expect(n?.nextReview).toBe('2027-03-01');
    expect(n?.changes?.fi).toContain('sähköpostitse');
    expect(n?.laws).toContain('Data Protection Act 1050/2018');
  });

  it('refuses a next review before the notice date, naming the path', () => {
    const [p] = errorsOf(edit("nextReview: '2027-03-01'", "nextReview: '2025-01-01'"));
    expect(p?.path).toBe('notice.nextReview');
    expect(p?.message).toContain('must come after');
  });

  it('warns when the review is overdue, and not before', () => {
    expect(warningsOf(demo, '2027-03-01')).toEqual([]);
    const [w] = warningsOf(demo, '2027-03-02');
    expect(w).toMatchObject({ path: 'notice.nextReview', severity: 'warning' });
    expect(w?.message).toContain('due for review on 2027-03-01');
    // Loading at start gives no date: the same text always loads with the same warnings.
    expect(parseDefinition(demo, 'register.yaml').warnings).toEqual([]);
  });
});

describe('the notice dates', () => {
  it('warns when the next review is later than the interval allows, or the notice is dated ahead', () => {
    const late = edit("nextReview: '2027-03-01'", "nextReview: '2027-06-01'");
    const [w] = warningsOf(late);
    expect(w).toMatchObject({ path: 'notice.nextReview', severity: 'warning' });
    expect(w?.message).toContain('later than the interval P1Y from 2026-03-02 allows (2027-03-02)');
    const [ahead] = warningsOf(demo, '2026-03-01');
    expect(ahead).toMatchObject({ path: 'notice.date', severity: 'warning' });
  });

  it('counts an overdue review from the interval when no next review is given', () => {
    const text = edit(/\n {2}nextReview: '2027-03-01'/, '');
    expect(warningsOf(text, '2027-03-02')).toEqual([]);
    const [w] = warningsOf(text, '2027-03-03');
    expect(w).toMatchObject({ path: 'notice.reviewInterval', severity: 'warning' });
  });
});

describe('repealed laws, wherever cited', () => {
  it.each([
    [
      'notice.laws',
      '    - Data Protection Act 1050/2018\n',
      '    - Henkilötietolaki 523/1999\n',
      /^notice\.laws\[\d\]$/,
      'Data Protection Act 1050/2018',
    ],
    [
      'notice.laws (516/2004)',
      '    - Information Society Code 917/2014\n',
      '    - Sähköisen viestinnän tietosuojalaki 516/2004\n',
      /^notice\.laws\[\d\]$/,
      'Information Society Code 917/2014',
    ],
    [
      'purposes[].law',
      'law: Kirjanpitolaki 1336/1997',
      'law: Directive 95/46/EC',
      /^purposes\[\d+\]\.law$/,
      'GDPR',
    ],
    [
      'a free text',
      'fi: Julkaisemme uuden version verkkosivuillamme',
      'fi: Henkilötietolain 523/1999 mukaisesti julkaisemme uuden version verkkosivuillamme',
      /^notice\.changes\.fi$/,
      '1050/2018',
    ],
  ])('in %s', (_name, from, to, path, replacement) => {
    const problems = errorsOf(edit(from, to));
    expect(problems).toContainEqual(
      expect.objectContaining({
        path: expect.stringMatching(path),
        message: expect.stringContaining(replacement),
      }),
    );
  });

  it('in a legal hold and in a transfer description (the old standard contractual clauses)', () => {
    const text = edit(
      /law: Kirjanpitolaki 1336\/1997, 2 luku 10 §/,
      'law: Personal Data Act (523/1999)',
    );
    expect(errorsOf(text)).toContainEqual(
      expect.objectContaining({
        path: expect.stringMatching(/^retention\.legalHolds\[\d\]\.law$/),
      }),
    );
    const scc = edit(
      'en: Standard contractual clauses (2021/914)',
      'en: Standard contractual clauses (2010/87/EU)',
    );
    const [p] = errorsOf(scc);
    expect(p?.path).toMatch(/^transfers\[\d\]\.description\.en$/);
    expect(p?.message).toContain('2021/914');
  });

  it('leaves the current laws alone', () => {
    expect(warningsOf(demo)).toEqual([]);
  });

  /** The errors of the demo with the Swedish text of `notice.changes` replaced. */
  const swedishChanges = (text: string) =>
    errorsOrNone(
      edit(
        /sv: Vi publicerar den nya versionen på vår webbplats[^\n]*/,
        `sv: Vi publicerar den nya versionen på vår webbplats ${text}.`,
      ),
    );

  it.each([
    'enligt personuppgiftslagen',
    'enligt Personuppgiftslagen',
    'i enlighet med personuppgiftslag (523/99)',
    'enligt personuppgiftslagens 24 §',
    'enligt PUL (523/99)',
    'enligt PUL',
    'enligt lagen 523/99',
    'enligt henkilötietolain (523/99)',
    'enligt Personal Data Act (523/1999)',
  ])('in Swedish and abbreviated: "%s", at its path and line', (cited) => {
    const problems = swedishChanges(cited);
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'notice.changes.sv',
        message: expect.stringContaining('the Finnish Personal Data Act 523/1999'),
        line: 28,
        column: 9,
      }),
    ]);
  });

  it("Sweden's own personuppgiftslagen (SFS 1998:204), with its own message", () => {
    for (const cited of ['enligt personuppgiftslagen (1998:204)', 'enligt PUL (SFS 1998:204)']) {
      const problems = swedishChanges(cited);
      expect(problems, cited).toEqual([
        expect.objectContaining({
          path: 'notice.changes.sv',
          message: expect.stringContaining('SFS 1998:204'),
          line: 28,
        }),
      ]);
      expect(problems[0]?.message).toContain('2018:218');
    }
  });

  it.each([
    'as required by the Finnish Personal Data Act',
    'under the Personal Data Act of Finland',
    "under Finland's Personal Data Act",
    'under the Personal Data Act (Finland)',
  ])('in English without the number, named as Finnish: "%s"', (cited) => {
    const problems = errorsOrNone(
      edit(
        /en: We publish the new version on our website[^\n]*/,
        `en: We publish the new version on our website ${cited}.`,
      ),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        path: 'notice.changes.en',
        message: expect.stringContaining('the Finnish Personal Data Act 523/1999'),
      }),
    ]);
  });

  // Norway's Personal Data Act (personopplysningsloven, 2018) is in force and is also called the
  // Personal Data Act in English: without Finland named, nothing is flagged.
  it.each([
    'under the Personal Data Act',
    "under Norway's Personal Data Act",
    'under the Norwegian Personal Data Act',
    'under the Personal Data Act of Norway (2018)',
  ])('an English "Personal Data Act" not named as Finnish is left alone: "%s"', (cited) => {
    expect(
      errorsOrNone(
        edit(
          /en: We publish the new version on our website[^\n]*/,
          `en: We publish the new version on our website ${cited}.`,
        ),
      ),
    ).toEqual([]);
  });

  it('leaves ordinary words and other numbers alone', () => {
    for (const text of [
      'i enlighet med personuppgiftslagstiftningen',
      'enligt dataskyddslagen (2018:218)',
      'med kaffepulver och populära pulsar',
      'i ärende 1523/1999 och 523/990',
    ]) {
      expect(swedishChanges(text), text).toEqual([]);
    }
    const fi = edit(
      'fi: Julkaisemme uuden version verkkosivuillamme',
      'fi: Henkilötietolainsäädännön mukaisesti julkaisemme uuden version verkkosivuillamme',
    );
    expect(errorsOrNone(fi)).toEqual([]);
  });
});

describe('unknown is a state', () => {
  it('an unknown legal basis loads, is warned about with Art. 13(1)(c), and an objection or withdrawal stops it', () => {
    const text = edit(/(id: customer_relationship\n {4}legalBasis:) contract/, '$1 unknown');
    const reg = load(text);
    const purpose = reg.purpose('customer_relationship');
    expect(purpose?.legalBasis).toBe('unknown');
    const [w] = warningsOf(text);
    expect(w).toMatchObject({
      severity: 'warning',
      path: expect.stringMatching(/^purposes\[\d\]\.legalBasis$/),
    });
    expect(w?.message).toContain('Art. 13(1)(c)');
    expect(reaches('objection', purpose!)).toBe(true);
    expect(reaches('consent_withdrawal', purpose!)).toBe(true);
  });

  it('an unknown retention period loads without `from`, and is warned about with Art. 13(2)(a)', () => {
    const text = edit(/duration: P2Y\n {6}from: end_of_relationship\n/, 'duration: unknown\n');
    const reg = load(text);
    expect(reg.definition.retention.rules[0]).toMatchObject({ duration: 'unknown' });
    expect(reg.definition.retention.rules[0]?.from).toBeUndefined();
    const [w] = warningsOf(text);
    expect(w).toMatchObject({ path: 'retention.rules[0].duration', severity: 'warning' });
    expect(w?.message).toContain('Art. 13(2)(a)');
    expect(w?.message).toContain('nothing under it is deleted automatically');
  });

  it('a known duration still needs the event it counts from', () => {
    const [p] = errorsOf(edit(/duration: P2Y\n {6}from: end_of_relationship\n/, 'duration: P2Y\n'));
    expect(p?.path).toBe('retention.rules[0].from');
  });

  it("an unknown recipient's country and agreement date are warnings with Art. 44–49 and 28(3)", () => {
    const text = edit(
      "    country: FI\n    dpaDate: '2024-02-15'\n",
      '    country: unknown\n    dpaDate: unknown\n',
    );
    const warnings = warningsOf(text);
    expect(warnings).toContainEqual(
      expect.objectContaining({
        path: 'recipients[0].country',
        message: expect.stringContaining('44–49'),
      }),
    );
    expect(warnings).toContainEqual(
      expect.objectContaining({
        path: 'recipients[0].dpaDate',
        message: expect.stringContaining('Art. 28(3)'),
      }),
    );
    expect(load(text).definition.recipients[0]?.country).toBe('unknown');
  });

  it('a missing agreement date is still an error, and so is a made-up country', () => {
    expect(
      errorsOf(edit("    country: FI\n    dpaDate: '2024-02-15'\n", '    country: FI\n')),
    ).toContainEqual(expect.objectContaining({ path: 'recipients[0].dpaDate' }));
    expect(
      errorsOf(
        edit(
          "    country: FI\n    dpaDate: '2024-02-15'\n",
          "    country: Unknown\n    dpaDate: '2024-02-15'\n",
        ),
      )[0]?.path,
    ).toBe('recipients[0].country');
  });

  it('an unknown transfer mechanism is a warning; errors and warnings come apart', () => {
    const text = edit(/mechanism: bcr/, 'mechanism: unknown');
    const [w] = warningsOf(text);
    expect(w).toMatchObject({ path: 'transfers[3].mechanism', severity: 'warning' });
    expect(w?.message).toContain('Art. 13(1)(f)');
    // With an error as well, the error comes first in the message and warnings stay marked.
    const broken = edited(text, /mechanism: dpf/, 'mechanism: privacy_shield');
    try {
      load(broken);
      throw new Error('expected a refusal');
    } catch (err) {
      const e = err as DefinitionError;
      expect(e.problems.filter((p) => p.severity === 'warning').map((p) => p.path)).toEqual([
        'transfers[3].mechanism',
      ]);
      expect(e.problems.filter((p) => p.severity !== 'warning').map((p) => p.path)).toEqual([
        'transfers[0].mechanism',
      ]);
      expect(e.message).toMatch(
        /1 problem\(s\) in the register definition, and 1 warning\(s\)\n.*transfers\[0\]\.mechanism: the EU-US Privacy Shield.*\n.*transfers\[3\]\.mechanism: warning: /,
      );
    }
  });
});

describe('disclosures, sources, open-ended items and the controller', () => {
  it('fills the standard wording of a built-in disclosure kind and keeps a given text', () => {
    const d = load(demo).definition.disclosures;
    expect(d.map((x) => x.kind)).toEqual([
      'none_except_contract_consent_law',
      'authorities_on_request',
      'business_sale',
    ]);
    expect(d[0]?.text).toEqual(DISCLOSURE_TEXTS.none_except_contract_consent_law);
    expect(d[1]?.text.fi).toContain('Verohallinnolle');
  });

  it('refuses a disclosure of kind other without its text, and an undeclared recipient', () => {
    const [p] = errorsOf(edit('  - kind: business_sale\n', '  - kind: other\n'));
    expect(p?.path).toBe('disclosures[2].text');
    const [q] = errorsOf(
      edit('  - kind: business_sale\n', '  - kind: business_sale\n    recipients: [buyer]\n'),
    );
    expect(q?.path).toBe('disclosures[2].recipients[0]');
  });

  it('maps sources to categories: an undeclared one is an error, a category no source supplies a warning', () => {
    const [p] = errorsOf(edit('categories: [notes]', 'categories: [memos]'));
    expect(p).toMatchObject({ path: 'sources[5].categories[0]' });
    const [w] = warningsOf(edit('categories: [notes]', 'categories: []'));
    expect(w).toMatchObject({
      severity: 'warning',
      message: expect.stringContaining('Art. 14(2)(f)'),
    });
    expect(w?.path).toMatch(/^categories\[\d+\]$/);
  });

  it('an open-ended category needs its description and is warned about; an open-ended purpose rests on consent', () => {
    const cat = edit(/( {2}- id: notes\n)/, '$1    openEnded: true\n');
    expect(warningsOf(cat)).toEqual([
      expect.objectContaining({
        path: 'categories[6].openEnded',
        message: expect.stringContaining('Art. 14(1)(d)'),
      }),
    ]);
    const problems = problemsOf(
      edited(cat, / {4}description:\n {6}sv: Anteckningar om kontakter.*\n.*\n.*\n/, ''),
    );
    expect(problems).toContainEqual(expect.objectContaining({ path: 'categories[6].description' }));
    expect(problems).toContainEqual(
      expect.objectContaining({ path: 'categories[6].openEnded', severity: 'warning' }),
    );
    const consent = edit(
      /( {2}- id: newsletter\n {4}legalBasis: consent\n)/,
      '$1    openEnded: true\n',
    );
    expect(warningsOf(consent)).toEqual([
      expect.objectContaining({
        path: 'purposes[2].openEnded',
        message: expect.stringContaining('Art. 5(1)(b)'),
      }),
    ]);
    const contract = edit(
      /( {2}- id: customer_relationship\n {4}legalBasis: contract\n)/,
      '$1    openEnded: true\n',
    );
    expect(errorsOf(contract)).toContainEqual(
      expect.objectContaining({
        path: 'purposes[0].legalBasis',
        message: expect.stringContaining('only on the consent'),
      }),
    );
  });

  it('takes a VAT number, an optional phone and a localized role (a plain role is used in every language)', () => {
    const c = load(edit("  phone: '+358 40 0000 100'\n", '')).definition.controller;
    expect(c.vatId).toBe('FI31415926');
    expect(c.phone).toBeUndefined();
    expect(c.contact.role).toEqual({
      sv: 'Kundtjänstchef',
      fi: 'Asiakaspalvelupäällikkö',
      en: 'Customer service manager',
    });
    expect(appointedDpo(load(demo).definition.controller)?.role).toEqual({
      sv: 'Data protection officer',
      fi: 'Data protection officer',
      en: 'Data protection officer',
    });
  });
});

/** The demo with only its Finnish texts. */
const finnishOnly = demo
  .replace(/^languages: .*$/m, 'languages: [fi]')
  .replace(/^(\s*)- sv: .*\n\s*fi:/gm, '$1- fi:')
  .replace(/^\s*(sv|en): .*\n/gm, '');

describe('languages', () => {
  it('loads a definition with only fi and fills sv and en from it', () => {
    expect(finnishOnly).not.toMatch(/^\s*-? ?(sv|en): /m);
    const reg = load(finnishOnly);
    expect(reg.languages).toEqual(['fi']);
    const name = reg.definition.register.name;
    expect(name).toEqual({ sv: name.fi, fi: name.fi, en: name.fi });
    expect(reg.definition.security[0]?.en).toBe(reg.definition.security[0]?.fi);
    expect(reg.purpose('newsletter')?.label.sv).toBe(reg.purpose('newsletter')?.label.fi);
    expect(reg.warnings).toEqual([]);
  });

  it('names the path and the missing language when a declared one is left out', () => {
    const text = edited(finnishOnly, /^languages: \[fi\]$/m, 'languages: [fi, sv]');
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThan(10);
    expect(problems[0]?.message).toBe(
      'the sv text is missing: the register publishes in fi, sv (languages)',
    );
    expect(problems.map((p) => p.path)).toContain('register.name.sv');
  });

  it("takes a recipient's name as one string or in each language, required in the published ones", () => {
    const authority = '    name: Verohallinto / Skatteförvaltningen\n';
    const localizedName = '    name:\n      fi: Verohallinto\n      sv: Skatteförvaltningen\n';
    // A plain string, a proper name: the same in every language, as before.
    const plain = load(demo).definition.recipients.find((r) => r.id === 'tax_authority')!;
    expect(plain.name).toEqual({
      sv: 'Verohallinto / Skatteförvaltningen',
      fi: 'Verohallinto / Skatteförvaltningen',
      en: 'Verohallinto / Skatteförvaltningen',
    });
    // In each language: one the register publishes (sv, fi, en) left out is refused, naming it.
    const problems = problemsOf(edit(authority, localizedName));
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      [
        expect.stringMatching(/^recipients\[\d+\]\.name\.en$/),
        'the en text is missing: the register publishes in fi, sv, en (languages)',
      ],
    ]);
    const named = load(edit(authority, `${localizedName}      en: Finnish Tax Administration\n`));
    expect(named.definition.recipients.find((r) => r.id === 'tax_authority')!.name).toEqual({
      fi: 'Verohallinto',
      sv: 'Skatteförvaltningen',
      en: 'Finnish Tax Administration',
    });
    // A register published in Finnish only needs the Finnish name alone.
    const fiOnly = load(edited(finnishOnly, authority, '    name:\n      fi: Verohallinto\n'));
    expect(fiOnly.definition.recipients.find((r) => r.id === 'tax_authority')!.name.fi).toBe(
      'Verohallinto',
    );
    // Neither an empty name nor an unknown language.
    expect(problemsOf(edit(authority, "    name: ''\n"))[0]?.path).toMatch(/\.name$/);
    expect(
      errorsOf(edit(authority, `${localizedName}      en: Tax\n      de: Steuer\n`))[0]?.path,
    ).toMatch(/\.name/);
  });

  it('refuses a language listed twice and one it does not know', () => {
    expect(problemsOf(edit(/^languages: .*$/m, 'languages: [fi, fi]'))[0]?.path).toBe('languages');
    expect(problemsOf(edit(/^languages: .*$/m, 'languages: [de]'))[0]?.path).toBe('languages[0]');
  });

  it('reports a repealed law once, in the published language only', () => {
    const text = edited(
      finnishOnly,
      '    - Data Protection Act 1050/2018\n',
      '    - Henkilötietolaki 523/1999\n',
    );
    expect(errorsOf(text).map((p) => p.path)).toEqual(['notice.laws[1]']);
  });
});

describe('transfers checked against the law', () => {
  const us = (extra: string, mechanism: string) =>
    withRecipient(
      recipientYaml('acme', 'US', `    dpaDate: '2025-01-01'\n${extra}`),
      `  - recipient: acme\n    country: US\n    mechanism: ${mechanism}\n`,
    );

  it('the Data Privacy Framework only for a certified US recipient', () => {
    expect(warningsOf(us('    dpfCertified: true\n', 'dpf'))).toEqual([]);
    const [p] = errorsOf(us('', 'dpf'));
    expect(p).toMatchObject({
      path: 'transfers[0].mechanism',
      message: expect.stringContaining('not marked dpfCertified'),
    });
    // The US adequacy decision is the DPF: adequacy needs the certification too.
    expect(errorsOf(us('', 'adequacy'))[0]?.message).toContain('dpfCertified');
    expect(warningsOf(us('    dpfCertified: true\n', 'adequacy'))).toEqual([]);
  });

  it('refuses dpfCertified on a recipient outside the United States', () => {
    const text = withRecipient(
      recipientYaml('maple', 'CA', "    dpaDate: '2025-01-01'\n    dpfCertified: true\n"),
      '  - recipient: maple\n    country: CA\n    mechanism: adequacy\n    withinAdequacyScope: true\n',
    );
    expect(errorsOf(text)[0]?.path).toBe('recipients[0].dpfCertified');
  });

  it('void mechanisms are errors: the Privacy Shield and Safe Harbor', () => {
    for (const [m, when] of [
      ['privacy_shield', '16 July 2020'],
      ['safe_harbor', '6 October 2015'],
    ]) {
      const [p] = errorsOf(edit(/mechanism: dpf/, `mechanism: ${m}`));
      expect(p?.path).toBe('transfers[0].mechanism');
      expect(p?.message).toContain(when);
    }
  });

  it('the standard contractual clauses need their module, and only they have one', () => {
    expect(errorsOf(edit(/mechanism: scc\n {4}sccModule: 2\n/, 'mechanism: scc\n'))[0]?.path).toBe(
      'transfers[1].sccModule',
    );
    expect(errorsOf(edit(/mechanism: bcr\n/, 'mechanism: bcr\n    sccModule: 2\n'))[0]?.path).toBe(
      'transfers[3].sccModule',
    );
    // Module 1 sends to a controller; the CRM service is a processor.
    const [w] = warningsOf(edit(/sccModule: 2/, 'sccModule: 1'));
    expect(w).toMatchObject({ path: 'transfers[1].sccModule', severity: 'warning' });
  });

  it('a derogation or an adequacy scope only with their own mechanism', () => {
    const [p] = errorsOf(
      edit(/mechanism: bcr\n/, "mechanism: bcr\n    derogation: 'Art. 49(1)(a)'\n"),
    );
    expect(p?.path).toBe('transfers[3].derogation');
    const [q] = errorsOf(
      edit(/mechanism: bcr\n/, 'mechanism: bcr\n    withinAdequacyScope: true\n'),
    );
    expect(q?.path).toBe('transfers[3].withinAdequacyScope');
  });

  it("a partial adequacy decision: Canada's covers commercial organisations, not an authority", () => {
    const ca = (role: string, scope: string) =>
      withRecipient(
        recipientYaml(
          'maple',
          'CA',
          role === 'processor' ? "    dpaDate: '2025-01-01'\n" : '',
          role,
        ),
        `  - recipient: maple\n    country: CA\n    mechanism: adequacy\n${scope}`,
      );
    const [w] = warningsOf(ca('processor', ''));
    expect(w).toMatchObject({ path: 'transfers[0].withinAdequacyScope', severity: 'warning' });
    expect(w?.message).toContain('PIPEDA');
    expect(warningsOf(ca('processor', '    withinAdequacyScope: true\n'))).toEqual([]);
    const [p] = errorsOf(ca('authority', '    withinAdequacyScope: true\n'));
    expect(p).toMatchObject({
      path: 'transfers[0].mechanism',
      message: expect.stringContaining('is an authority'),
    });
  });

  it('no adequacy decision, no adequacy: India', () => {
    const [p] = errorsOf(edit(/mechanism: bcr/, 'mechanism: adequacy'));
    expect(p).toMatchObject({
      path: 'transfers[3].mechanism',
      message: expect.stringContaining('no adequacy decision for IN'),
    });
  });
});
