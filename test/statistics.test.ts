/**
 * Anonymised statistics (issue 12, item 7; docs/statistics.md). First the suppression rule
 * attacked as an attacker who knows it would: every possible breakdown of small sums is
 * enumerated, grouped by what the output shows, and no count of 1 to 4 may have a single value
 * among the breakdowns that show the same. Then on each database: the counts of live people only
 * (an erased person is not counted), small groups `<5`, the rest of their breakdown hidden, the
 * same in the CSV, a suppressed count not derivable from the output, the view logged, a role
 * without read_audit and an API key refused before anything is counted, unknown query keys 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operator } from '../src/lib/actor.ts';
import {
  MIN_GROUP,
  suppressLinked,
  suppressOne,
  suppressOverlapping,
  safeSum,
  suppressPartition,
  suppressTotal,
  type Shown,
  type Statistics,
} from '../src/modules/statistics/index.ts';
import { newStaffSession, newSubjectVia, personValues, type StaffSession } from './factories.ts';
import { createTestContext, DATABASES, type TestContext } from './helpers.ts';

/** Every way to split `sum` into `k` counts of 0 or more. */
function* splits(sum: number, k: number): Generator<number[]> {
  if (k === 1) {
    yield [sum];
    return;
  }
  for (let first = 0; first <= sum; first++) {
    for (const rest of splits(sum - first, k - 1)) {
      yield [first, ...rest];
    }
  }
}

/**
 * What an attacker who knows the rule learns: the breakdowns (of any sum in `sums`) grouped by
 * what the output shows; a count of 1 to 4 that has one value in its whole group is revealed.
 */
function revealed(k: number, sums: number[], shownSum: (s: number) => number | '<5') {
  // Per output and group: the values seen, and whether one was 1 to 4.
  const seen = new Map<string, Array<{ values: Set<number>; small: boolean }>>();
  for (const s of sums) {
    for (const counts of splits(s, k)) {
      const key = `${shownSum(s)}|${suppressPartition(counts, shownSum(s)).join(',')}`;
      let cells = seen.get(key);
      if (!cells) {
        cells = counts.map(() => ({ values: new Set<number>(), small: false }));
        seen.set(key, cells);
      }
      counts.forEach((c, i) => {
        cells[i]!.values.add(c);
        cells[i]!.small ||= c >= 1 && c < MIN_GROUP;
      });
    }
  }
  const leaks: string[] = [];
  for (const [output, cells] of seen) {
    cells.forEach((c, i) => {
      if (c.small && c.values.size === 1) {
        leaks.push(`${output}: group ${i} is ${[...c.values][0]}`);
      }
    });
  }
  return leaks;
}

describe('suppression, attacked', () => {
  it('never shows 1 to 4, shows 0 and 5 or more where nothing small is near', () => {
    expect(suppressTotal(0)).toBe(0);
    expect([1, 2, 3, 4].map(suppressTotal)).toEqual(['<5', '<5', '<5', '<5']);
    expect(suppressTotal(5)).toBe(5);
    expect(suppressPartition([120, 30, 0, 7, 5], 162)).toEqual([120, 30, 0, 7, 5]);
    expect(suppressOne(3, 1000)).toBe('<5');
    expect(suppressOne(500, 1000)).toBe(500);
  });

  it('a single small group beside a shown total: the others are hidden, so the total minus them tells nothing', () => {
    // granted 100, refused 1, never asked 50: showing 100 and 50 with the total 151 gives 1.
    const shown = suppressPartition([100, 1, 0, 0, 0, 50], 151);
    expect(shown).toEqual(['hidden', '<5', 'hidden', 'hidden', 'hidden', 'hidden']);
    const numbers = shown.filter((s): s is number => typeof s === 'number');
    expect(numbers).toEqual([]);
  });

  it('a small sum: hidden whole, not 4 and 4, not 1 beside a hidden 5', () => {
    expect(safeSum(2)).toBe(13);
    expect(suppressPartition([4, 4], 8)).toEqual(['hidden', 'hidden']);
    expect(suppressPartition([1, 5], 6)).toEqual(['hidden', 'hidden']);
    expect(suppressPartition([1, 5, 0, 0, 0, 0], 6)).toEqual(Array(6).fill('hidden'));
  });

  it('no breakdown of up to 5 groups lets one small count be worked out, whatever the sum near the threshold', () => {
    for (let k = 2; k <= 5; k++) {
      const limit = safeSum(k) + (k <= 3 ? 10 : k === 4 ? 4 : 1);
      for (let s = MIN_GROUP; s <= limit; s++) {
        expect(
          revealed(k, [s], (n) => n),
          `k=${k} sum=${s}`,
        ).toEqual([]);
      }
      // A sum of 1 to 4 is itself shown only as <5.
      expect(
        revealed(k, [1, 2, 3, 4], () => '<5'),
        `k=${k} sum <5`,
      ).toEqual([]);
    }
  });

  it('an overlapping group (a category) and the total: neither it nor the people outside it is revealed when small', () => {
    const leaks: string[] = [];
    for (let total = 0; total <= 60; total++) {
      const shownTotal = suppressTotal(total);
      const byOutput = new Map<string, Array<[number, number]>>();
      const totals = shownTotal === '<5' ? [1, 2, 3, 4] : [total];
      for (const t of totals) {
        for (let c = 0; c <= t; c++) {
          const key = JSON.stringify([shownTotal, suppressOne(c, t)]);
          byOutput.set(key, [...(byOutput.get(key) ?? []), [c, t - c]]);
        }
      }
      for (const [output, group] of byOutput) {
        for (const side of [0, 1] as const) {
          const values = new Set(group.map((g) => g[side]));
          if (group.some((g) => g[side] >= 1 && g[side] < MIN_GROUP) && values.size === 1) {
            leaks.push(`${output}: ${side === 0 ? 'count' : 'outside'} ${[...values][0]}`);
          }
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});

/**
 * The attacker against overlapping groups who assumes any one of them may be a subset of another
 * (a purpose that only writes one category): every total up to `maxTotal` and every three counts
 * of it, grouped by what `rule` shows; among the triples of a group consistent with "i within j",
 * a count, the people outside it, or the difference j − i of 1 to 4 that has a single possible
 * value is revealed.
 */
function subsetLeaks(
  rule: (counts: readonly number[], total: number) => Shown[],
  maxTotal: number,
): string[] {
  const byOutput = new Map<string, number[][]>();
  for (let total = 0; total <= maxTotal; total++) {
    for (let a = 0; a <= total; a++) {
      for (let b = 0; b <= total; b++) {
        for (let c = 0; c <= total; c++) {
          const key = JSON.stringify([suppressTotal(total), ...rule([a, b, c], total)]);
          let list = byOutput.get(key);
          if (!list) {
            list = [];
            byOutput.set(key, list);
          }
          list.push([total, a, b, c]);
        }
      }
    }
  }
  const leaks: string[] = [];
  const isSmall = (n: number) => n >= 1 && n < MIN_GROUP;
  const check = (output: string, what: string, values: number[]) => {
    if (values.some(isSmall) && new Set(values).size === 1) {
      leaks.push(`${output}: ${what} is ${values[0]}`);
    }
  };
  for (const [output, tuples] of byOutput) {
    for (let i = 1; i <= 3; i++) {
      check(
        output,
        `count ${i}`,
        tuples.map((t) => t[i]!),
      );
      check(
        output,
        `outside ${i}`,
        tuples.map((t) => t[0]! - t[i]!),
      );
      for (let j = 1; j <= 3; j++) {
        if (i === j) {
          continue;
        }
        // The attacker's hypothesis: group i lies within group j.
        const consistent = tuples.filter((t) => t[j]! >= t[i]!);
        if (consistent.length > 0) {
          check(
            output,
            `${j} − ${i}`,
            consistent.map((t) => t[j]! - t[i]!),
          );
        }
      }
    }
  }
  return leaks;
}

describe('overlapping groups (categories, purposes and sources), attacked as subsets', () => {
  it('a purpose that only writes one category, 2 short of it: neither is shown beside the other', () => {
    // 1164 people have orders, 1162 of them written for billing (the only purpose writing orders):
    // shown alone each, 1164 − 1162 = 2 people whose orders were not written for billing.
    expect([suppressOne(1164, 2000), suppressOne(1162, 2000)]).toEqual([1164, 1162]);
    expect(suppressOverlapping([1164, 1162, 800, 0], 2000)).toEqual(['hidden', 'hidden', 800, 0]);
    // Equal counts (nobody in one but not the other) are shown, as a 0 would be.
    expect(suppressOverlapping([1164, 1164], 2000)).toEqual([1164, 1164]);
    // A count hidden already (4 short of the total) shows no number, so it hides no neighbour.
    expect(suppressOverlapping([1996, 1994], 2000)).toEqual(['hidden', 1994]);
    expect(suppressOverlapping([2000, 1996], 2000)).toEqual([2000, 'hidden']);
  });

  it('the old rule (each against the total only) gives the difference away; the family rule does not', () => {
    const old = (counts: readonly number[], total: number) =>
      counts.map((c) => suppressOne(c, total));
    expect(subsetLeaks(old, 30).length).toBeGreaterThan(0);
    expect(subsetLeaks(suppressOverlapping, 30)).toEqual([]);
  }, 60_000);

  it('the documented boundary: a sum of groups, and groups of other sections, are not compared', () => {
    // Two sources no person has both of (the attacker may know it): 100 + 40 of 143 people, so 3
    // came from neither. Each pair differs by 5 or more, so both are shown: sums are not compared.
    expect(suppressOverlapping([100, 40], 143)).toEqual([100, 40]);
    // A permission state and a purpose count the same people but are suppressed apart: 10 grant
    // the newsletter, 12 have data for it, and both are shown (12 − 10 = 2).
    expect(suppressLinked([[10, 0, 0, 0, 0, 90]], 100)).toEqual([[10, 0, 0, 0, 0, 90]]);
    expect(suppressOverlapping([12], 100)).toEqual([12]);
    // Request types and request states: 21 erasures, 23 requests in progress; if every erasure is
    // in progress, 2 other requests are. Both breakdowns are shown whole.
    expect(suppressPartition([31, 21], 52)).toEqual([31, 21]);
    expect(suppressPartition([29, 23], 52)).toEqual([29, 23]);
  });
});

describe("linked breakdowns (a kind's `*` row and its channels), attacked", () => {
  it('review3: 10 granting the kind, 2 only e-mail: neither row shows a number the other differs from by 2', () => {
    // `*`: 10 granted, 22 never asked; e-mail: 12 granted, 20 never asked. Each alone has no small
    // group, but 12 − 10 = 2.
    const shown = suppressLinked(
      [
        [10, 0, 0, 0, 0, 22],
        [12, 0, 0, 0, 0, 20],
      ],
      32,
    );
    expect(shown.flat().every((c) => c === 'hidden')).toBe(true);
    // Differences of 0 or 5 and more, no small count: shown as they are.
    expect(
      suppressLinked(
        [
          [10, 0, 0, 0, 0, 22],
          [15, 0, 0, 0, 0, 17],
        ],
        32,
      ),
    ).toEqual([
      [10, 0, 0, 0, 0, 22],
      [15, 0, 0, 0, 0, 17],
    ]);
    // A small count in one row hides the numbers of the other too (beside a shown 8, a `<5` would
    // be narrowed by knowing the difference is not small).
    expect(
      suppressLinked(
        [
          [3, 0, 0, 0, 0, 29],
          [8, 0, 0, 0, 0, 24],
        ],
        32,
      ),
    ).toEqual([['<5', 'hidden', 'hidden', 'hidden', 'hidden', 'hidden'], Array(6).fill('hidden')]);
  });

  it('for every pair of breakdowns of sums around the threshold, no small count and no small difference has one possible value', () => {
    const leaks: string[] = [];
    const k = 3;
    for (let sum = MIN_GROUP; sum <= safeSum(k) + 4; sum++) {
      const parts = [...splits(sum, k)];
      const byOutput = new Map<string, Array<{ values: Set<number>; small: boolean }>>();
      for (const a of parts) {
        for (const b of parts) {
          const key = JSON.stringify(suppressLinked([a, b], sum));
          // The cells of both rows, then the difference per state.
          const facts = [...a, ...b, ...a.map((n, j) => n - b[j]!)];
          let cells = byOutput.get(key);
          if (!cells) {
            cells = facts.map(() => ({ values: new Set<number>(), small: false }));
            byOutput.set(key, cells);
          }
          facts.forEach((f, i) => {
            cells[i]!.values.add(f);
            cells[i]!.small ||= Math.abs(f) >= 1 && Math.abs(f) < MIN_GROUP;
          });
        }
      }
      for (const [output, cells] of byOutput) {
        cells.forEach((c, i) => {
          if (c.small && c.values.size === 1) {
            leaks.push(`sum=${sum} ${output}: fact ${i} is ${[...c.values][0]}`);
          }
        });
      }
    }
    expect(leaks).toEqual([]);
  });
});

/** The CSV's rows as objects (no cell of ours needs quoting), without the byte order mark. */
function parseCsv(body: string): Array<Record<string, string>> {
  const [head, ...rows] = body
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .filter((l) => l !== '')
    .map((l) => l.split(','));
  return rows.map((r) => Object.fromEntries((head ?? []).map((h, i) => [h, r[i] ?? ''])));
}

describe.each(DATABASES)('statistics on %s', (kind) => {
  let t: TestContext;
  let dpo: StaffSession;
  let auditor: StaffSession;
  let support: StaffSession;
  const get = (url: string, headers: Record<string, string>) =>
    t.app.inject({ method: 'GET', url: `/api/v1${url}`, headers });
  const views = async () =>
    (await t.services.audit.list({ limit: 500 })).filter((e) => e.action === 'statistics.view');

  beforeAll(async () => {
    t = await createTestContext(kind);
    dpo = await newStaffSession(t, 'dpo');
    auditor = await newStaffSession(t, 'auditor');
    support = await newStaffSession(t, 'support');
    // 30 customers from the person themselves, 2 from a partner, one more who is then erased.
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      ids.push((await newSubjectVia(t.services, { values: personValues('Asiakas') })).id);
    }
    for (let i = 0; i < 2; i++) {
      await newSubjectVia(t.services, { source: 'partner', values: personValues('Kumppani') });
    }
    const erased = await newSubjectVia(t.services, { source: 'partner' });
    await t.services.subjects.eraseSubject(operator, erased.id);
    // Newsletter by e-mail: 7 granted, 2 refused.
    const wording = { text: 'Saa lähettää uutiskirjeen.', language: 'fi' as const };
    for (const [i, id] of ids.slice(0, 9).entries()) {
      await t.services.permissions.record(
        operator,
        id,
        [{ kind: 'newsletter', channel: 'email', state: i < 7 ? 'granted' : 'refused' }],
        { method: 'staff', wording },
      );
    }
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('counts live people only, and shows small groups as <5 with the rest of their breakdown hidden', async () => {
    const res = await get('/statistics', dpo.headers);
    expect(res.statusCode, res.body).toBe(200);
    const s = res.json<Statistics>();
    // 32 live people: the erased one is not counted.
    expect(s.people).toBe(32);
    expect(s.minimumGroup).toBe(5);
    const people = (list: Array<{ id: string; people: Shown }>, id: string) =>
      list.find((g) => g.id === id)?.people;
    expect(people(s.categories, 'identity')).toBe(32);
    expect(people(s.categories, 'contact')).toBe(32);
    expect(people(s.categories, 'orders')).toBe(0);
    expect(people(s.purposes, 'customer_relationship')).toBe(32);
    // 30 of 32: shown, it would tell that 2 came from elsewhere.
    expect(people(s.sources, 'subject')).toBe('hidden');
    // Two from a partner (the erased third not counted): fewer than 5, never the number.
    expect(people(s.sources, 'partner')).toBe('<5');
    const newsletter = s.permissions.find((p) => p.kind === 'newsletter' && p.channel === 'email');
    expect(newsletter).toEqual({
      kind: 'newsletter',
      channel: 'email',
      granted: 'hidden',
      refused: '<5',
      withdrawn: 'hidden',
      objected: 'hidden',
      pending: 'hidden',
      neverAsked: 'hidden',
    });
    // Nobody was asked about post: all never asked.
    const post = s.permissions.find((p) => p.kind === 'direct_marketing' && p.channel === 'post');
    expect(post).toMatchObject({ granted: 0, refused: 0, neverAsked: 32 });
    expect(s.requests.total).toBe(0);
    expect(s.requests.byType.every((r) => r.requests === 0)).toBe(true);
    // The raw count 2 is nowhere in the answer: not for the partner, not for the refusals.
    expect(JSON.stringify(s)).not.toMatch(/"(people|refused)":2\b/);
  });

  it('as an attacker: the total minus the shown states of a permission does not give the refusals', async () => {
    const s = (await get('/statistics', auditor.headers)).json<Statistics>();
    expect(typeof s.people).toBe('number');
    for (const p of s.permissions) {
      const cells = [p.granted, p.refused, p.withdrawn, p.objected, p.pending, p.neverAsked];
      const suppressed = cells.filter((c) => typeof c !== 'number');
      // Either everything is shown (nothing to derive) or at least two are suppressed and a
      // small one is never alone beside numbers.
      if (suppressed.length > 0) {
        expect(cells.filter((c) => typeof c === 'number' && c > 0)).toEqual([]);
        expect(suppressed.length).toBeGreaterThan(1);
      }
    }
  });

  it('the CSV holds the same counts, suppressed the same way, and the export is logged', async () => {
    const before = (await views()).length;
    const res = await get('/statistics.csv', dpo.headers);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="statistics-/);
    const rows = parseCsv(res.body);
    const cell = (section: string, group: string, state = '') =>
      rows.find((r) => r.section === section && r.group === group && r.state === state)?.count;
    expect(cell('people', 'live')).toBe('32');
    expect(cell('source', 'partner')).toBe('<5');
    expect(cell('source', 'subject')).toBe('hidden');
    expect(cell('permission', 'newsletter/email', 'refused')).toBe('<5');
    expect(cell('permission', 'newsletter/email', 'granted')).toBe('hidden');
    expect(cell('permission', 'newsletter/email', 'never_asked')).toBe('hidden');
    expect(cell('permission', 'direct_marketing/post', 'never_asked')).toBe('32');
    expect(cell('request_type', 'access')).toBe('0');
    expect(cell('request_state', 'received')).toBe('0');
    // No cell of the whole export is 1 to 4.
    expect(rows.filter((r) => /^[1-4]$/.test(r.count ?? ''))).toEqual([]);
    const logged = await views();
    expect(logged.length).toBe(before + 1);
    const csvViews = logged.filter((e) => (e.data as { format?: string }).format === 'csv');
    expect(csvViews).toHaveLength(1);
    expect(csvViews[0]).toMatchObject({ outcome: 'ok', actor_kind: 'staff', role: 'dpo' });
  });

  it('requests are counted by type and by state: with two, all hidden; at five, shown', async () => {
    const ask = (i: number) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/requests',
        headers: dpo.headers,
        payload: {
          type: 'access',
          channel: 'in_person',
          lang: 'fi',
          email: `pyytaja${i}.${Date.now()}@example.com`,
          name: 'Pyytäjä',
          identity: { proof: 'photo_id', documentType: 'passport' },
        },
      });
    for (const i of [1, 2]) {
      expect((await ask(i)).statusCode).toBe(201);
    }
    let s = (await get('/statistics', dpo.headers)).json<Statistics>();
    expect(s.requests.total).toBe('<5');
    for (const r of [...s.requests.byType, ...s.requests.byState]) {
      expect(r.requests, r.id).toBe('hidden');
    }
    for (const i of [3, 4, 5]) {
      expect((await ask(i)).statusCode).toBe(201);
    }
    s = (await get('/statistics', dpo.headers)).json<Statistics>();
    expect(s.requests.total).toBe(5);
    expect(s.requests.byType.find((r) => r.id === 'access')?.requests).toBe(5);
    expect(s.requests.byType.filter((r) => r.requests !== 0)).toHaveLength(1);
    expect(s.requests.byState.find((r) => r.id === 'in_progress')?.requests).toBe(5);
  });

  it('review3: people granting the kind as a whole and people granting one channel only are not told apart by their difference', async () => {
    // Direct marketing: 10 grant the kind as a whole, 2 more only by post. `*`: 10 granted, the
    // rest never asked; post: 12 granted. Neither row has a small group, but 12 − 10 = 2, which
    // the old rule showed.
    const wording = { text: 'Saa lähettää suoramainontaa.', language: 'fi' as const };
    for (let i = 0; i < 12; i++) {
      const { id } = await newSubjectVia(t.services, { values: personValues('Tilaaja') });
      await t.services.permissions.record(
        operator,
        id,
        [{ kind: 'direct_marketing', channel: i < 10 ? '*' : 'post', state: 'granted' }],
        { method: 'staff', wording },
      );
    }
    const s = (await get('/statistics', dpo.headers)).json<Statistics>();
    const rows = s.permissions.filter((p) => p.kind === 'direct_marketing');
    expect(rows.map((r) => r.channel)).toEqual(expect.arrayContaining(['*', 'post']));
    const states = [
      'granted',
      'refused',
      'withdrawn',
      'objected',
      'pending',
      'neverAsked',
    ] as const;
    for (const a of rows) {
      for (const b of rows) {
        for (const st of states) {
          const [x, y] = [a[st], b[st]];
          if (typeof x === 'number' && typeof y === 'number') {
            expect(Math.abs(x - y), `${a.channel}/${b.channel} ${st}`).not.toBeOneOf([1, 2, 3, 4]);
          }
        }
      }
    }
    // Here every row of the kind is hidden whole (no count of it is small itself).
    for (const r of rows) {
      expect(
        states.map((st) => r[st]),
        r.channel,
      ).toEqual(Array(6).fill('hidden'));
    }
    // The newsletter (its e-mail row has 2 refusals): no newsletter row shows a number, `*` neither.
    for (const r of s.permissions.filter((p) => p.kind === 'newsletter')) {
      expect(
        states.filter((st) => typeof r[st] === 'number'),
        r.channel,
      ).toEqual([]);
    }
  });

  it('a restricted person (Art. 18(2): storage only) is not counted, and is again once the restriction is lifted', async () => {
    const people = async () => (await get('/statistics', dpo.headers)).json<Statistics>().people;
    const before = await people();
    expect(typeof before).toBe('number');
    const one = await newSubjectVia(t.services, { values: personValues('Rajattu') });
    expect(await people()).toBe((before as number) + 1);
    await t.services.subjects.setRestriction(operator, one.id, 'Tietojen oikeellisuus kiistetty.');
    expect(await people()).toBe(before);
    const s = (await get('/statistics', dpo.headers)).json<Statistics>();
    expect(s.categories.find((c) => c.id === 'identity')?.people).toBe(before);
    await t.services.subjects.setRestriction(operator, one.id, null);
    expect(await people()).toBe((before as number) + 1);
  });

  it('a role without read_audit and an API key are refused before anything is counted or logged', async () => {
    const before = (await views()).length;
    for (const url of ['/statistics', '/statistics.csv']) {
      const res = await get(url, support.headers);
      expect(res.statusCode, res.body).toBe(403);
      const key = await t.key(['*'], ['read', 'write', 'erase', 'export', 'handle_requests']);
      expect((await get(url, key)).statusCode).toBe(403);
      expect((await get(url, {})).statusCode).toBe(401);
    }
    expect((await views()).length).toBe(before);
  });

  it('as an attacker: a category minus the one purpose writing it does not give the people written otherwise', async () => {
    // 10 more customers with orders; the orders of 7 of them are then written for billing (the
    // only purpose writing orders here): orders 10, billing 7, and 10 − 7 = 3.
    const withOrders: string[] = [];
    for (let i = 0; i < 10; i++) {
      withOrders.push(
        (
          await newSubjectVia(t.services, {
            values: { ...personValues('Tilaus'), orders: { orderCount: 1 } },
          })
        ).id,
      );
    }
    for (const id of withOrders.slice(0, 7)) {
      await t.services.subjects.updateSubject(operator, id, {
        purpose: 'billing',
        source: 'subject',
        values: { orders: { orderCount: 2 } },
      });
    }
    const s = (await get('/statistics', dpo.headers)).json<Statistics>();
    const people = (list: Array<{ id: string; people: Shown }>, id: string) =>
      list.find((g) => g.id === id)?.people;
    expect(people(s.categories, 'orders')).toBe('hidden');
    expect(people(s.purposes, 'billing')).toBe('hidden');
    // No two numbers shown among categories, purposes and sources (nor one and the total) differ
    // by 1 to 4.
    const shown = [...s.categories, ...s.purposes, ...s.sources]
      .map((g) => g.people)
      .filter((n): n is number => typeof n === 'number');
    expect(typeof s.people).toBe('number');
    for (const x of [...shown, s.people as number]) {
      for (const y of shown) {
        expect(Math.abs(x - y), `${x} and ${y}`).not.toBeOneOf([1, 2, 3, 4]);
      }
    }
    // The CSV says the same.
    const rows = parseCsv((await get('/statistics.csv', dpo.headers)).body);
    expect(rows.find((r) => r.section === 'category' && r.group === 'orders')?.count).toBe(
      'hidden',
    );
    expect(rows.find((r) => r.section === 'purpose' && r.group === 'billing')?.count).toBe(
      'hidden',
    );
  });

  it('an unknown query parameter is refused 400 naming it, and nothing is logged', async () => {
    const before = (await views()).length;
    const res = await get('/statistics?format=csv', dpo.headers);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('format');
    expect((await views()).length).toBe(before);
  });
});
