/**
 * What a definition says about Art. 13(2)(e) (is providing the data required), Art. 13(2)(f) and
 * Art. 22 (automated decisions, profiling included) and Art. 13(1)(b) (no DPO appointed): the
 * schema refuses a bad answer naming its path, the notice says each answer in each language, an
 * unknown or missing answer is one warning naming the article, and `check` reports each finding
 * exactly once (an unknown value used to appear twice: as a warning and as a notice gap).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import {
  DefinitionError,
  parseDefinition,
  type RegisterDefinition,
} from '../src/modules/definition/index.ts';
import {
  checkRegister,
  checkText,
  createNoticeService,
  noticeGaps,
  registerWarnings,
} from '../src/modules/notice/index.ts';
import { noticeMessages } from '../src/modules/notice/messages.ts';
import { newStaffSession } from './factories.ts';
import { createTestContext, DATABASES, DEMO, ROOT, type TestContext } from './helpers.ts';

const exec = promisify(execFile);

let demoText = '';
beforeAll(async () => {
  demoText = await readFile(DEMO, 'utf8');
});

/** The demo as YAML with `change` applied to its parsed form. */
function demoWith(change: (d: RegisterDefinition) => void): string {
  const d = parseYaml(demoText) as RegisterDefinition;
  // Without the review dates, whose warning depends on the day the test runs.
  if (d.notice) {
    delete d.notice.nextReview;
    delete d.notice.reviewInterval;
  }
  change(d);
  return stringify(d);
}

const problemsOf = (text: string) => {
  try {
    parseDefinition(text);
  } catch (err) {
    if (err instanceof DefinitionError) {
      return err.problems;
    }
    throw err;
  }
  return [];
};

/** A definition silent or `unknown` on every item this file is about, and on four others. */
const silent = (d: RegisterDefinition) => {
  delete d.controller.dpo;
  delete d.purposes[0]!.requirement;
  d.purposes[1]!.requirement = 'unknown';
  d.automatedDecisions = 'unknown';
  const claims = d.purposes.find((p) => p.id === 'legal_claims')!;
  (claims as { legalBasis: string }).legalBasis = 'unknown';
  delete claims.legitimateInterest;
  const rule = d.retention.rules.find((r) => r.id === 'claims_limitation')!;
  rule.duration = 'unknown';
  delete rule.from;
  d.recipients.find((r) => r.id === 'legal_advisers')!.country = 'unknown';
  const crm = d.transfers.find((t) => t.recipient === 'crm_service')!;
  crm.mechanism = 'unknown';
  delete crm.sccModule;
};

describe('the schema: requirement, automated decisions, no DPO', () => {
  it('reads the answers of the demo', () => {
    const def = parseDefinition(demoText).definition;
    expect(def.automatedDecisions).toBe('none');
    expect(def.purposes.find((p) => p.id === 'billing')?.requirement).toMatchObject({
      kind: 'statutory',
      obliged: true,
    });
    expect(def.purposes.find((p) => p.id === 'newsletter')?.requirement).toMatchObject({
      kind: 'voluntary',
      obliged: false,
    });
  });

  it('refuses a bad answer naming its path, and says what is expected', () => {
    const cases: Array<[(d: RegisterDefinition) => void, string, RegExp]> = [
      [
        (d) => ((d.purposes[0]!.requirement as { kind: string }).kind = 'mandatory'),
        'purposes[0].requirement.kind',
        /statutory, contractual, contract_precondition, voluntary, found "mandatory"/,
      ],
      [
        (d) => {
          const r = d.purposes.find((p) => p.id === 'newsletter')!.requirement as {
            obliged: boolean;
          };
          r.obliged = true;
        },
        `purposes[${parseDefinition(demoText).definition.purposes.findIndex((p) => p.id === 'newsletter')}].requirement.obliged`,
        /voluntary requirement does not oblige/,
      ],
      [
        (d) => delete (d.purposes[0]!.requirement as { consequences?: unknown }).consequences,
        'purposes[0].requirement.consequences',
        /required object is missing/,
      ],
      [
        (d) => ((d.purposes[0]!.requirement as Record<string, unknown>).obligatory = true),
        'purposes[0].requirement.obligatory',
        /unknown key "obligatory"/,
      ],
      [
        (d) => ((d.purposes[0] as { requirement: unknown }).requirement = 'sometimes'),
        'purposes[0].requirement',
        /expected unknown, or a mapping of kind, obliged and consequences/,
      ],
      [
        (d) => ((d.controller as { dpo: unknown }).dpo = 'nobody'),
        'controller.dpo',
        /expected none, unknown, or the officer/,
      ],
      [
        (d) => ((d.controller as { dpo: unknown }).dpo = { name: 'Ilona Esimerkki' }),
        'controller.dpo.email',
        /give an e-mail address or a phone number/,
      ],
      [
        (d) => ((d as { automatedDecisions: unknown }).automatedDecisions = []),
        'automatedDecisions',
        /list at least one decision, or say none/,
      ],
      [
        (d) =>
          ((d as { automatedDecisions: unknown }).automatedDecisions = [
            {
              id: 'credit',
              label: { sv: 'Kredit', fi: 'Luotto', en: 'Credit' },
              logic: { sv: 'Poäng', fi: 'Pisteet' },
              consequences: { sv: 'Nej', fi: 'Ei', en: 'No' },
            },
          ]),
        'automatedDecisions[0].logic.en',
        /the en text is missing/,
      ],
      [
        (d) =>
          ((d as { automatedDecisions: unknown }).automatedDecisions = [
            {
              id: 'credit',
              label: { sv: 'Kredit', fi: 'Luotto', en: 'Credit' },
              logic: { sv: 'Poäng', fi: 'Pisteet', en: 'Score' },
              consequences: { sv: 'Nej', fi: 'Ei', en: 'No' },
              purposes: ['lending'],
            },
          ]),
        'automatedDecisions[0].purposes[0]',
        /purpose "lending" is not declared/,
      ],
    ];
    for (const [change, path, message] of cases) {
      const problems = problemsOf(demoWith(change)).filter((p) => p.severity !== 'warning');
      expect(
        problems.map((p) => p.path),
        path,
      ).toEqual([path]);
      expect(problems[0]?.message, path).toMatch(message);
    }
  });
});

describe('the notice says each answer, in each language', () => {
  it('a requirement per purpose, no DPO appointed, and each automated decision', async () => {
    const text = demoWith((d) => {
      (d.controller as { dpo: unknown }).dpo = 'none';
      d.automatedDecisions = [
        {
          id: 'course_waitlist',
          label: {
            sv: 'Automatisk plats i kö',
            fi: 'Automaattinen jonopaikka',
            en: 'Automatic waiting-list place',
          },
          logic: {
            sv: 'Platsen ges i den ordning anmälningarna kommer in.',
            fi: 'Paikat annetaan ilmoittautumisjärjestyksessä.',
            en: 'Places go in the order the sign-ups arrive.',
          },
          consequences: {
            sv: 'Du får eller får inte en plats på kursen.',
            fi: 'Saat tai et saa paikkaa kurssilta.',
            en: 'You get a place on the course, or you do not.',
          },
          profiling: true,
          purposes: ['barista_courses'],
        },
      ];
    });
    const register = parseDefinition(text);
    const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
    expect(service.completeness()).toEqual({ complete: true, gaps: [] });
    const def = register.definition;
    for (const lang of register.languages) {
      const m = noticeMessages[lang];
      const md = ((await service.render(lang, 'md')).body as string).replace(/\\(.)/g, '$1');
      expect(md).toContain(m.noDpo);
      expect(md).toContain(m.requirementIntro);
      for (const p of def.purposes) {
        const r = p.requirement;
        if (r === undefined || r === 'unknown') {
          throw new Error(`the demo answers the requirement of ${p.id}`);
        }
        expect(md).toContain(`**${p.label[lang]}**: ${m.requirementKinds[r.kind]}.`);
        expect(md).toContain(r.consequences[lang]);
      }
      expect(md).toContain(m.automatedIntro);
      const decisions = Array.isArray(def.automatedDecisions) ? def.automatedDecisions : [];
      expect(decisions).toHaveLength(1);
      for (const a of decisions) {
        expect(md).toContain(a.label[lang]);
        expect(md).toContain(a.logic[lang]);
        expect(md).toContain(a.consequences[lang]);
      }
      expect(md).toContain(m.basedOnProfiling);
      expect(md).toContain(m.automatedRights);
      expect(md).not.toContain(m.unanswered);
    }
  });

  it('names an unanswered or unknown item as not stated, and as a gap with its article', async () => {
    const register = parseDefinition(demoWith(silent));
    const service = createNoticeService({ register, publicUrl: 'https://portal.example.com' });
    const gaps = service.completeness().gaps;
    expect(gaps).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ item: 'dpo', path: 'controller.dpo' }),
        expect.objectContaining({
          item: 'requirement',
          path: 'purposes[0].requirement',
          article: 'Art. 13(2)(e)',
        }),
        expect.objectContaining({ item: 'requirement', path: 'purposes[1].requirement' }),
        expect.objectContaining({
          item: 'automated_decisions',
          path: 'automatedDecisions',
          article: expect.stringContaining('22'),
        }),
      ]),
    );
    const m = noticeMessages.en;
    const md = ((await service.render('en', 'md')).body as string).replace(/\\(.)/g, '$1');
    expect(md).toContain(`**${register.definition.purposes[0]!.label.en}**: ${m.notStated}`);
    expect(md).not.toContain(m.noDpo);
    expect(md).not.toContain(m.noAutomated);
    expect(md).not.toMatch(/\bunknown\b/);
  });

  it('distinguishes no DPO (answered) from an unknown DPO (a warning)', async () => {
    const none = parseDefinition(
      demoWith((d) => ((d.controller as { dpo: unknown }).dpo = 'none')),
    );
    expect(noticeGaps(none.definition).filter((g) => g.item === 'dpo')).toEqual([]);
    const unknown = parseDefinition(
      demoWith((d) => ((d.controller as { dpo: unknown }).dpo = 'unknown')),
    );
    expect(noticeGaps(unknown.definition).filter((g) => g.item === 'dpo')).toEqual([
      expect.objectContaining({
        path: 'controller.dpo',
        message: expect.stringMatching(/not stated \(unknown\).*Art\. 13\(1\)\(b\)/),
      }),
    ]);
    expect(none.definition.controller.dpo).toBe('none');
    // The records of processing (Art. 30) say so in the DPO column.
    const service = createNoticeService({
      register: none,
      publicUrl: 'https://portal.example.com',
    });
    const csv = (await service.records('en', 'controller', 'csv'))!.body as string;
    expect(csv).toContain(noticeMessages.en.noDpo);
  });
});

describe('check reports each finding exactly once', () => {
  it('an unknown value is one warning, naming its article and the notice item', () => {
    const register = parseDefinition(demoWith(silent));
    const warnings = registerWarnings(register);
    const paths = warnings.map((w) => w.path);
    // No path twice: the unknown basis, retention, country and safeguard were each reported as a
    // cross-check warning and again as a notice gap.
    expect(paths.filter((p, i) => paths.indexOf(p) !== i)).toEqual([]);
    const byPath = (path: string) => warnings.filter((w) => w.path === path);
    const d = register.definition;
    const claims = d.purposes.findIndex((p) => p.id === 'legal_claims');
    const rule = d.retention.rules.findIndex((r) => r.id === 'claims_limitation');
    const adviser = d.recipients.findIndex((r) => r.id === 'legal_advisers');
    const crm = d.transfers.findIndex((t) => t.recipient === 'crm_service');
    for (const [path, item, article] of [
      [`purposes[${claims}].legalBasis`, 'purposes', 'Art. 13(1)(c), 14(1)(c)'],
      [`retention.rules[${rule}].duration`, 'retention', 'Art. 13(2)(a), 14(2)(a)'],
      [`recipients[${adviser}].country`, 'transfers', 'Art. 13(1)(f), 14(1)(f), 44–49'],
      [`transfers[${crm}].mechanism`, 'transfers', 'Art. 13(1)(f), 14(1)(f)'],
      ['purposes[0].requirement', 'requirement', 'Art. 13(2)(e)'],
      ['purposes[1].requirement', 'requirement', 'Art. 13(2)(e)'],
      ['automatedDecisions', 'automated_decisions', 'Art. 22'],
      ['controller.dpo', 'dpo', 'Art. 13(1)(b)'],
    ] as const) {
      expect(byPath(path), path).toHaveLength(1);
      expect(byPath(path)[0]?.noticeItem, path).toBe(item);
      expect(byPath(path)[0]?.articles, path).toContain(article);
      expect(byPath(path)[0]?.severity, path).toBe('warning');
    }
  });

  it('rekisteri check --json and the text output list each warning once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rekisteri-items-'));
    try {
      const file = join(dir, 'silent.yaml');
      await writeFile(file, demoWith(silent));
      const cli = (...args: string[]) =>
        exec(process.execPath, [join(ROOT, 'bin/rekisteri.js'), ...args], { cwd: ROOT });
      const [json, plain] = await Promise.all([cli('check', '--json', file), cli('check', file)]);
      const out = JSON.parse(json.stdout) as { warnings: Array<{ path: string }> };
      const paths = out.warnings.map((w) => w.path);
      expect(paths.length).toBeGreaterThanOrEqual(8);
      expect(new Set(paths).size).toBe(paths.length);
      for (const path of paths) {
        const lines = plain.stdout.split('\n').filter((l) => l.includes(`  ${path}: warning:`));
        expect(lines, path).toHaveLength(1);
      }
      expect(plain.stdout).toMatch(
        /silent\.yaml: valid(, \d+ warnings?)?; the privacy notice leaves 8 items unanswered/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a draft with a void transfer mechanism', () => {
  it('is invalid, with the error at the mechanism and the transfer flagged', () => {
    const report = checkText(
      demoWith((d) => {
        d.transfers[0]!.mechanism = 'privacy_shield';
      }),
    );
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual([
      expect.objectContaining({
        path: 'transfers[0].mechanism',
        articles: expect.arrayContaining(['C-311/18']),
      }),
    ]);
    expect(report.transfers[0]?.void).toMatch(/Privacy Shield, invalid since 16 July 2020/);
    expect(report.transfers.slice(1).every((t) => t.void === null)).toBe(true);
  });

  it('a text that is not a definition is one error and no transfers', () => {
    const report = checkText('controller: [');
    expect(report.valid).toBe(false);
    expect(report.errors).toHaveLength(1);
    expect(report.transfers).toEqual([]);
  });

  it('the running demo: valid, no errors, its transfers none void', () => {
    const report = checkRegister(parseDefinition(demoText));
    expect(report).toMatchObject({ valid: true, errors: [] });
    expect(report.transfers.length).toBeGreaterThan(0);
    expect(report.transfers.every((t) => t.void === null)).toBe(true);
  });
});

for (const kind of DATABASES) {
  describe(`POST /api/v1/definition/check (${kind})`, () => {
    let t: TestContext;
    beforeAll(async () => {
      t = await createTestContext(kind);
    });
    afterAll(async () => {
      await t?.close();
    });

    it('reports on the running definition and on a draft, for the DPO', async () => {
      const dpo = await newStaffSession(t, 'dpo');
      const running = await t.app.inject({
        method: 'POST',
        url: '/api/v1/definition/check',
        headers: dpo.headers,
        payload: {},
      });
      expect(running.statusCode, running.body).toBe(200);
      expect(running.json()).toMatchObject({ valid: true, errors: [] });

      const draft = await t.app.inject({
        method: 'POST',
        url: '/api/v1/definition/check',
        headers: dpo.headers,
        payload: { text: demoWith((d) => (d.transfers[0]!.mechanism = 'privacy_shield')) },
      });
      expect(draft.statusCode).toBe(200);
      const body = draft.json<{
        valid: boolean;
        version: string | null;
        errors: Array<{ path: string }>;
        transfers: Array<{ void: string | null }>;
      }>();
      expect(body.valid).toBe(false);
      expect(body.version).toBeNull();
      expect(body.errors.map((e) => e.path)).toEqual(['transfers[0].mechanism']);
      expect(body.transfers[0]?.void).toContain('Privacy Shield');
    });

    it('answers a draft of hostile YAML (an alias bomb, a missing anchor) with a finding, not a server error', async () => {
      const dpo = await newStaffSession(t, 'dpo');
      const laughs = [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
        'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
        'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      ].join('\n');
      for (const text of [laughs, 'controller: *nowhere\n']) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/definition/check',
          headers: dpo.headers,
          payload: { text },
        });
        expect(res.statusCode, res.body).toBe(200);
        const body = res.json<{
          valid: boolean;
          errors: Array<{ path: string; message: string }>;
        }>();
        expect(body.valid).toBe(false);
        expect(body.errors).toHaveLength(1);
        expect(body.errors[0]?.message).toMatch(/^YAML: /);
      }
      // The running definition is untouched.
      const running = await t.app.inject({
        method: 'POST',
        url: '/api/v1/definition/check',
        headers: dpo.headers,
        payload: {},
      });
      expect(running.json()).toMatchObject({ valid: true, errors: [] });
    });

    it('refuses an unknown key naming it, and a role without read_audit', async () => {
      const dpo = await newStaffSession(t, 'dpo');
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/definition/check',
        headers: dpo.headers,
        payload: { text: 'x', apply: true },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toContain('apply');
      const support = await newStaffSession(t, 'support');
      const refused = await t.app.inject({
        method: 'POST',
        url: '/api/v1/definition/check',
        headers: support.headers,
        payload: {},
      });
      expect(refused.statusCode).toBe(403);
    });
  });
}
