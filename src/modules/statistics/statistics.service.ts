/**
 * Anonymised statistics of the register (docs/statistics.md): how many people have each category,
 * purpose and source, each permission's state per kind and channel, and the requests by type and
 * state, with every group under 5 suppressed (suppress.ts). Counted by set-based SQL, a handful
 * of grouped queries whatever the number of people: nothing is read person by person, and no
 * personal data leaves the database (only ids of the definition and counts).
 *
 * People are the live ones: not erased, not the records an erasure kept for a legal hold, and not
 * restricted (Art. 18(2): a restricted person's data may only be stored, so it is not counted).
 * Requests are every request the register still holds, whoever made it.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import { requireAction, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import type { AuditService } from '../audit/index.ts';
import { REQUEST_TYPES, type Register } from '../definition/index.ts';
import { PERMISSION_STATES } from '../permissions/index.ts';
import { REQUEST_STATES } from '../requests/index.ts';
import {
  MIN_GROUP,
  suppressLinked,
  suppressOverlapping,
  suppressPartition,
  suppressTotal,
  type Shown,
} from './suppress.ts';

export interface StatisticsDeps {
  db: Kysely<Database>;
  register: Register;
  audit: AuditService;
  clock: Clock;
}

/** A permission's states among the live people, per kind and channel (`*`: the kind as a whole). */
export interface PermissionCounts {
  kind: string;
  channel: string;
  granted: Shown;
  refused: Shown;
  withdrawn: Shown;
  objected: Shown;
  /** Asked, awaiting the confirmation of a double opt-in. */
  pending: Shown;
  neverAsked: Shown;
}

export interface Statistics {
  generatedAt: string;
  /** Counts under this are never shown. */
  minimumGroup: number;
  /** Live people: not erased, not a record kept for a legal hold, not restricted (Art. 18). */
  people: Shown;
  categories: Array<{ id: string; people: Shown }>;
  purposes: Array<{ id: string; people: Shown }>;
  sources: Array<{ id: string; people: Shown }>;
  permissions: PermissionCounts[];
  /** Every request the register holds, by type and (apart) by state; each adds up to total. */
  requests: {
    total: Shown;
    byType: Array<{ id: string; requests: Shown }>;
    byState: Array<{ id: string; requests: Shown }>;
  };
}

export const STATISTICS_FORMATS = ['json', 'csv'] as const;
export type StatisticsFormat = (typeof STATISTICS_FORMATS)[number];

const PERMISSION_COLUMNS = [...PERMISSION_STATES, 'never_asked'] as const;
const NEGATIVE = sql.raw(`('refused', 'withdrawn', 'objected')`);
const LIVE = sql.raw(`s.erased_at is null and s.held_purpose is null and s.restricted_at is null`);
/**
 * Rows of live people, for a table aliased `x`: an anti-join against the few people who are not
 * (erased, a record kept for a hold, or restricted), which at a million people costs a fraction of a join
 * with every live one.
 */
const LIVE_ROW = sql.raw(`not exists (select 1 from subjects s
  where s.id = x.subject_id
    and (s.erased_at is not null or s.held_purpose is not null or s.restricted_at is not null))`);

/** Ids of the definition first, in its order, then any the data hold that it no longer names. */
const idsOf = (declared: readonly string[], found: Iterable<string>) => [
  ...declared,
  ...[...new Set(found)].filter((id) => !declared.includes(id)).sort(),
];

export function createStatisticsService(deps: StatisticsDeps) {
  const { db, register, audit, clock } = deps;
  const def = register.definition;

  /**
   * The raw counts, before suppression, in one repeatable-read transaction: every query sees the
   * same moment, so the breakdowns add up to the totals they are suppressed against.
   */
  const raw = () =>
    db
      .transaction()
      .setIsolationLevel('repeatable read')
      .execute(async (trx) => {
        await sql`set transaction read only`.execute(trx);
        return rawIn(trx);
      });

  async function rawIn(db: Kysely<Database>) {
    const counted = async (query: ReturnType<typeof sql<{ id: string; n: number }>>) =>
      new Map((await query.execute(db)).rows.map((r) => [r.id, Number(r.n)]));
    const total = Number(
      (
        await sql<{ n: number }>`select count(*)::int as n from subjects s where ${LIVE}`.execute(
          db,
        )
      ).rows[0]?.n ?? 0,
    );
    // A category row is one person's (its key is the person and the category).
    const categories = await counted(sql`
      select x.category as id, count(*)::int as n
        from subject_values x
       where ${LIVE_ROW}
       group by x.category`);
    // A row names the purpose and source of its last write; each field keeps its own (field_meta).
    const tagged = (key: 'purpose' | 'source') =>
      counted(sql`
        select x.id, count(distinct x.subject_id)::int as n from (
          select v.subject_id, v.${sql.raw(key)} as id from subject_values v
          union all
          select v.subject_id, m.value ->> ${key} as id
            from subject_values v cross join lateral jsonb_each(v.field_meta) m
           where v.field_meta is not null
        ) x
        where ${LIVE_ROW} and x.id is not null
        group by x.id`);
    const purposes = await tagged('purpose');
    const sources = await tagged('source');

    // Per kind and channel the deciding state, as the permission check reads it: the later of
    // the channel's row and the kind's `*` row, a refusal first at the same moment, then the
    // channel's own row; for `*`, the kind's `*` row alone.
    const combos = register.marketing.kinds.flatMap((k) =>
      ['*', ...register.marketing.channelsOfKind(k.id)].map((channel) => ({
        kind: k.id,
        channel,
      })),
    );
    const states = new Map<string, number>();
    if (combos.length > 0) {
      const values = sql.join(combos.map((c) => sql`(${c.kind}::text, ${c.channel}::text)`));
      const rows = await sql<{ kind: string; channel: string; state: string; n: number }>`
        select d.kind, d.channel, d.state, count(*)::int as n from (
          select distinct on (x.subject_id, c.kind, c.channel) c.kind, c.channel, x.state
            from (values ${values}) as c(kind, channel)
            join permission_states x on x.kind = c.kind and x.channel in (c.channel, '*')
           where ${LIVE_ROW}
           order by x.subject_id, c.kind, c.channel, x.changed_at desc,
                    (x.state in ${NEGATIVE}) desc, (x.channel = '*') asc
        ) d
        group by d.kind, d.channel, d.state`.execute(db);
      for (const r of rows.rows) {
        states.set(`${r.kind}\u0000${r.channel}\u0000${r.state}`, Number(r.n));
      }
    }
    const permissions = combos.map((c) => {
      const counts = PERMISSION_STATES.map(
        (st) => states.get(`${c.kind}\u0000${c.channel}\u0000${st}`) ?? 0,
      );
      return { ...c, counts: [...counts, total - counts.reduce((a, b) => a + b, 0)] };
    });

    // Requests by type and by state: two breakdowns of the same total, never crossed (a table of
    // type by state would have to hide nearly everything to keep its small cells).
    const by = async (column: 'type' | 'state', declared: readonly string[]) => {
      const rows = await counted(sql`
        select ${sql.raw(column)} as id, count(*)::int as n from requests group by ${sql.raw(column)}`);
      return idsOf(declared, rows.keys()).map((id) => ({ id, n: rows.get(id) ?? 0 }));
    };
    const requests = {
      byType: await by('type', REQUEST_TYPES),
      byState: await by('state', REQUEST_STATES),
    };
    return { total, categories, purposes, sources, permissions, requests };
  }

  /** The statistics with every small group suppressed. Checks nothing: callers check the role. */
  async function compute(): Promise<Statistics> {
    const generatedAt = clock.now().toISOString();
    const r = await raw();
    const sumOf = (n: number): number | '<5' => (n >= 1 && n < MIN_GROUP ? '<5' : n);
    // Categories, purposes and sources count the same people and overlap: one may be a subset of
    // another, so they are suppressed as one family (no two shown differ by 1 to 4).
    const groups = (declared: readonly string[], counts: Map<string, number>) =>
      idsOf(declared, counts.keys()).map((id) => ({ id, n: counts.get(id) ?? 0 }));
    const family = [
      groups(
        def.categories.map((c) => c.id),
        r.categories,
      ),
      groups(
        def.purposes.map((p) => p.id),
        r.purposes,
      ),
      groups(
        def.sources.map((s) => s.id),
        r.sources,
      ),
    ];
    const shownFamily = suppressOverlapping(
      family.flat().map((g) => g.n),
      r.total,
    );
    let at = 0;
    const [categories, purposes, sources] = family.map((list) =>
      list.map((g) => ({ id: g.id, people: shownFamily[at++]! })),
    ) as [
      Array<{ id: string; people: Shown }>,
      Array<{ id: string; people: Shown }>,
      Array<{ id: string; people: Shown }>,
    ];
    const requestTotal = r.requests.byType.reduce((a, b) => a + b.n, 0);
    const breakdown = (groups: Array<{ id: string; n: number }>) => {
      const shown = suppressPartition(
        groups.map((g) => g.n),
        sumOf(requestTotal),
      );
      return groups.map((g, i) => ({ id: g.id, requests: shown[i]! }));
    };
    return {
      generatedAt,
      minimumGroup: MIN_GROUP,
      people: suppressTotal(r.total),
      categories,
      purposes,
      sources,
      // The rows of one kind (`*` and each channel) count the same people, so they are suppressed
      // together (suppressLinked): a difference between two of them is a group too.
      permissions: register.marketing.kinds.flatMap((k) => {
        const rows = r.permissions.filter((p) => p.kind === k.id);
        const shownRows = suppressLinked(
          rows.map((p) => p.counts),
          sumOf(r.total),
        );
        return rows.map((p, i) => {
          const [granted, refused, withdrawn, objected, pending, neverAsked] = shownRows[i] as [
            Shown,
            Shown,
            Shown,
            Shown,
            Shown,
            Shown,
          ];
          return {
            kind: p.kind,
            channel: p.channel,
            granted,
            refused,
            withdrawn,
            objected,
            pending,
            neverAsked,
          };
        });
      }),
      requests: {
        total: suppressTotal(requestTotal),
        byType: breakdown(r.requests.byType),
        byState: breakdown(r.requests.byState),
      },
    };
  }

  /** The statistics for a member of staff who may read the access log; the view is logged. */
  async function view(actor: Actor, format: StatisticsFormat): Promise<Statistics> {
    requireAction(actor, 'read_audit');
    const stats = await compute();
    await audit.log({ actor, action: 'statistics.view', data: { format } });
    return stats;
  }

  return { compute, view };
}

export type StatisticsService = ReturnType<typeof createStatisticsService>;

const csvCell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);

/**
 * The statistics as CSV: one row per count, `section,group,state,count`; a suppressed count reads
 * `<5` or `hidden`. Ids only (the definition's), so no cell starts with a formula character.
 */
export function statisticsCsv(s: Statistics): string {
  const rows: string[][] = [['section', 'group', 'state', 'count']];
  const add = (section: string, group: string, state: string, v: Shown) =>
    rows.push([section, group, state, String(v)]);
  add('people', 'live', '', s.people);
  for (const c of s.categories) {
    add('category', c.id, '', c.people);
  }
  for (const p of s.purposes) {
    add('purpose', p.id, '', p.people);
  }
  for (const p of s.sources) {
    add('source', p.id, '', p.people);
  }
  for (const p of s.permissions) {
    for (const col of PERMISSION_COLUMNS) {
      add(
        'permission',
        `${p.kind}/${p.channel}`,
        col,
        col === 'never_asked' ? p.neverAsked : p[col],
      );
    }
  }
  add('requests', 'all', '', s.requests.total);
  for (const q of s.requests.byType) {
    add('request_type', q.id, '', q.requests);
  }
  for (const q of s.requests.byState) {
    add('request_state', q.id, '', q.requests);
  }
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
