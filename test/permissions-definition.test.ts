/**
 * The definition's marketing section and each purpose's permission (docs/permissions.md): what
 * `check` knows of the Finnish and EU rules (Information Society Code 917/2014 ch. 24, GDPR Art. 7
 * and 21), each refusal naming its path.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { DefinitionError, parseDefinition } from '../src/modules/definition/loader.ts';
import { DEMO } from './helpers.ts';

const demo = await readFile(DEMO, 'utf8');

function edited(from: string | RegExp, to: string, text = demo): string {
  const out = text.replace(from, to);
  expect(out, `edit ${String(from)} did not apply`).not.toBe(text);
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

const NEWSLETTER = `    permission:
      kind: newsletter
      audience: private_persons
      channels:
        - channel: email
          basis: consent
`;
const B2B_AUDIENCE = `      audience: organisation_contacts
      organisationCategory: organisation
`;

describe('the marketing model of the definition', () => {
  it('resolves the demo: built-in labels, each purpose its kind, audience and basis per channel', () => {
    const reg = parseDefinition(demo, 'demo.yaml');
    const m = reg.marketing;
    expect(m.channels.map((c) => c.id)).toEqual(['email', 'sms', 'phone', 'post']);
    expect(m.channel('email')?.label.fi).toBe('Sähköposti');
    expect(m.channel('email')?.electronic).toBe(true);
    expect(m.channel('post')?.electronic).toBe(false);
    expect(m.channel('post')?.fields).toEqual([{ category: 'contact', field: 'address' }]);
    expect(m.kind('market_research')?.label.en).toBe('Market research and opinion polls');
    expect(m.purpose('newsletter')).toMatchObject({
      kind: 'newsletter',
      audience: 'private_persons',
    });
    expect([...(m.purpose('newsletter')?.channels ?? [])]).toEqual([['email', 'consent']]);
    expect([...(m.purpose('b2b_marketing')?.channels ?? [])]).toEqual([
      ['email', 'opt_out'],
      ['phone', 'opt_out'],
      ['post', 'opt_out'],
    ]);
    expect(m.purpose('analytics')).toMatchObject({ kind: 'profiling', basis: 'consent' });
    // Service messages within the customer relationship are not marketing.
    expect(m.purpose('customer_relationship')).toBeUndefined();
    expect(m.channelsOfKind('market_research')).toEqual(['email', 'sms', 'phone']);
  });

  it('refuses e-mail marketing to private persons on an opt-out: it needs prior consent', () => {
    const text = edited(
      NEWSLETTER,
      NEWSLETTER.replace('basis: consent', 'basis: opt_out'),
      demo.replace(
        '  - id: newsletter\n    legalBasis: consent',
        '  - id: newsletter\n    legalBasis: legitimate_interest\n    legitimateInterest: {sv: x, fi: x, en: x}',
      ),
    );
    const problems = problemsOf(text);
    const p = problems.find((x) => x.path.endsWith('.permission.channels[0].basis'));
    expect(p?.message).toMatch(/email marketing to private persons needs their prior consent/);
    expect(p?.path).toMatch(/^purposes\[\d+\]\.permission\.channels\[0\]\.basis$/);
  });

  it('refuses the same to a mixed audience, and allows it to contacts of organisations', () => {
    const mixed = edited(B2B_AUDIENCE, '      audience: mixed\n');
    expect(
      problemsOf(mixed)
        .map((p) => p.message)
        .join('\n'),
    ).toMatch(/email marketing to private persons needs their prior consent/);
    // The demo's b2b marketing (organisation contacts, opt-out by e-mail) is valid.
    expect(() => parseDefinition(demo)).not.toThrow();
  });

  it('allows the soft opt-in only declared as such, with the category that shows a customer', () => {
    const base = demo.replace(
      '  - id: newsletter\n    legalBasis: consent',
      '  - id: newsletter\n    legalBasis: legitimate_interest\n    legitimateInterest: {sv: x, fi: x, en: x}',
    );
    const noCategory = edited(
      NEWSLETTER,
      NEWSLETTER.replace('basis: consent', 'basis: soft_opt_in'),
      base,
    );
    const problems = problemsOf(noCategory);
    expect(problems.map((p) => p.path)).toContainEqual(
      expect.stringMatching(/^purposes\[\d+\]\.permission\.customerCategory$/),
    );
    const withCategory = edited(
      NEWSLETTER,
      NEWSLETTER.replace('basis: consent', 'basis: soft_opt_in').replace(
        '      audience: private_persons\n',
        '      audience: private_persons\n      customerCategory: orders\n',
      ),
      base,
    );
    expect(parseDefinition(withCategory).marketing.purpose('newsletter')?.customerCategory).toBe(
      'orders',
    );
    // Not for phone or post, which are opt-out already.
    const onPost = edited(
      '        - channel: post\n          basis: opt_out',
      '        - channel: post\n          basis: soft_opt_in',
    );
    expect(
      problemsOf(onPost)
        .map((p) => p.message)
        .join('\n'),
    ).toMatch(/soft_opt_in is the exception for electronic messages; post is not one/);
  });

  it('refuses an unknown channel or kind, naming the path', () => {
    const channel = edited(NEWSLETTER, NEWSLETTER.replace('channel: email', 'channel: fax'));
    const p1 = problemsOf(channel).find((p) => p.path.endsWith('channels[0].channel'));
    expect(p1?.message).toBe('channel "fax" is not declared in marketing.channels');
    const kind = edited(NEWSLETTER, NEWSLETTER.replace('kind: newsletter', 'kind: newsleter'));
    const p2 = problemsOf(kind).find((p) => p.path.endsWith('permission.kind'));
    expect(p2?.message).toBe('kind "newsleter" is not declared in marketing.kinds');
  });

  it('refuses a direct-marketing purpose that declares no permission: no per-channel opt-out', () => {
    const text = edited(NEWSLETTER, '');
    const p = problemsOf(text).find((x) => /^purposes\[\d+\]\.permission$/.test(x.path));
    expect(p?.message).toMatch(/is direct marketing but declares no permission/);
  });

  it('refuses a consent purpose with an opt-out channel, and a kind whose nature the purpose does not say', () => {
    const text = edited(NEWSLETTER, NEWSLETTER.replace('basis: consent', 'basis: opt_out'));
    expect(
      problemsOf(text)
        .map((p) => p.message)
        .join('\n'),
    ).toMatch(/rests on consent: reaching people on email rests on consent too, not opt_out/);
    const nature = edited(
      '    permission:\n      kind: market_research',
      '    permission:\n      kind: direct_marketing',
    );
    const p = problemsOf(nature).find((x) => x.path.endsWith('.directMarketing'));
    expect(p?.message).toMatch(/mark the purpose directMarketing: true/);
  });

  it('refuses a channel whose fields the purpose does not use, and an unknown field', () => {
    const text = edited(
      '    - id: post\n      fields: [contact.address]',
      '    - id: post\n      fields: [contact.adress]',
    );
    const p = problemsOf(text).find((x) => x.path === 'marketing.channels[3].fields[0]');
    expect(p?.message).toBe('category "contact" has no field "adress"');
    const unused = edited(
      NEWSLETTER,
      NEWSLETTER.replace('channel: email', 'channel: post'),
      demo.replace(
        '    categories: [identity, contact, marketing]\n',
        '    categories: [identity, marketing]\n',
      ),
    );
    expect(
      problemsOf(unused)
        .map((p) => p.message)
        .join('\n'),
    ).toMatch(
      /channel "post" reaches people at contact.address, which purpose "newsletter" does not use/,
    );
  });

  it('refuses a channel or kind the register adds without its label, nature or whether it is electronic', () => {
    const text = edited(
      '    - id: post\n      fields: [contact.address]\n',
      '    - id: post\n      fields: [contact.address]\n    - id: push\n      fields: [account.userId]\n',
    ).replace('    - id: profiling\n', '    - id: profiling\n    - id: loyalty\n');
    const paths = problemsOf(text).map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'marketing.channels[4].label',
        'marketing.channels[4].electronic',
        'marketing.kinds[4].label',
        'marketing.kinds[4].nature',
      ]),
    );
  });

  it('an organisation audience names the category that tells its contacts apart', () => {
    const text = edited(B2B_AUDIENCE, '      audience: organisation_contacts\n');
    const p = problemsOf(text).find((x) => x.path.endsWith('permission.organisationCategory'));
    expect(p?.message).toMatch(/names the category that shows who is one/);
  });

  it('refuses a permission on a purpose of another basis, and unknown keys in the section', () => {
    const text = edited(
      '    retention: after_relationship\n',
      '    retention: after_relationship\n    permission:\n      kind: newsletter\n      audience: private_persons\n      channels:\n        - channel: email\n          basis: consent\n',
    );
    const p = problemsOf(text).find((x) => /^purposes\[0\]\.legalBasis$/.test(x.path));
    expect(p?.message).toMatch(/rest on consent or legitimate interest, not contract/);
    const unknownKey = edited(
      '  kinds:\n    - id: newsletter\n',
      '  kinds:\n    - id: newsletter\n      natur: direct_marketing\n',
    );
    expect(problemsOf(unknownKey)[0]?.path).toBe('marketing.kinds[0].natur');
  });
});
