/**
 * Versions of the privacy notice. Publishing freezes the definition the notice is made from and
 * the notice's text in each language, with its date; a published version never changes. What a
 * reader must be told again (Art. 13(3), 14(4), and the transparency guidelines on changes) is a
 * change of the notice's substance: the purposes and their bases, the recipients, the transfers
 * and the retention. `materialOf` takes those out of a definition, `diffMaterial` compares two, and
 * the service says whether the definition running now needs a new version.
 */
import { sql } from 'kysely';
import { withTransaction, type Executor } from '../../db/transaction.ts';
import type { Clock } from '../../lib/clock.ts';
import { requireAction, type Actor } from '../../lib/actor.ts';
import { AppError } from '../../lib/errors.ts';
import type { Register, RegisterDefinition } from '../definition/index.ts';
import type { AuditService } from '../audit/index.ts';
import type { NoticeLang } from './messages.ts';

export const MATERIAL_SECTIONS = ['purposes', 'recipients', 'transfers', 'retention'] as const;
export type MaterialSection = (typeof MATERIAL_SECTIONS)[number];

/**
 * What a reader is told changed, in the words of Art. 13(3)/14(4) and the transparency
 * guidelines: the purposes, their legal bases, the recipients, the transfers and the retention.
 * A purpose's basis (its legal basis, legitimate interest or law) is told apart from the purpose.
 */
export const CHANGE_KINDS = ['purposes', 'bases', 'recipients', 'transfers', 'retention'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** The properties of a purpose that are its legal basis. */
const BASIS_FIELDS: ReadonlySet<string> = new Set(['legalBasis', 'legitimateInterest', 'law']);

/**
 * The kinds of change among `changes`, in CHANGE_KINDS order: a purpose added or removed changes
 * the purposes and the bases; a changed purpose its basis (legalBasis, legitimateInterest, law),
 * its retention rule (retention) or what it is (description, categories).
 */
export function changeKindsOf(changes: readonly MaterialChange[]): ChangeKind[] {
  const kinds = new Set<ChangeKind>();
  for (const c of changes) {
    if (c.section !== 'purposes') {
      kinds.add(c.section);
    } else if (c.change !== 'changed') {
      kinds.add('purposes').add('bases');
    } else {
      for (const f of c.fields) {
        kinds.add(BASIS_FIELDS.has(f) ? 'bases' : f === 'retention' ? 'retention' : 'purposes');
      }
    }
  }
  return CHANGE_KINDS.filter((k) => kinds.has(k));
}

type Entry = { id: string } & Record<string, unknown>;
export type Material = Record<MaterialSection, Entry[]>;

export interface MaterialChange {
  section: MaterialSection;
  /** The purpose, recipient or rule id; a transfer is `recipient→country`, a hold `hold:id`. */
  id: string;
  change: 'added' | 'removed' | 'changed';
  /** For `changed`: the properties that differ. */
  fields: string[];
  /**
   * For `changed`: each property of `fields` whose value is a single value (a legal basis, a
   * duration, a country, a law), with what it was and what it is; a list or a text in several
   * languages is named in `fields` only.
   */
  values: ScalarChange[];
}

export type Scalar = string | number | boolean | null;
export interface ScalarChange {
  field: string;
  before: Scalar;
  after: Scalar;
}

const isScalar = (v: unknown): v is Scalar =>
  v === null || ['string', 'number', 'boolean'].includes(typeof v);

/** What of a definition a reader must be told again when it changes. */
export function materialOf(def: RegisterDefinition): Material {
  return {
    purposes: def.purposes.map((p) => ({
      id: p.id,
      legalBasis: p.legalBasis,
      legitimateInterest: p.legitimateInterest ?? null,
      law: p.law ?? null,
      description: p.description,
      categories: [...p.categories].sort(),
      retention: p.retention,
    })),
    recipients: def.recipients.map((r) => ({
      id: r.id,
      name: r.name,
      role: r.role,
      country: r.country,
      categories: [...r.categories].sort(),
      purposes: [...r.purposes].sort(),
    })),
    transfers: def.transfers.map((t) => ({
      id: `${t.recipient}→${t.country}`,
      mechanism: t.mechanism ?? null,
      sccModule: t.sccModule ?? null,
      derogation: t.derogation ?? null,
    })),
    retention: [
      ...def.retention.rules.map((r) => ({ id: r.id, duration: r.duration, from: r.from })),
      ...def.retention.legalHolds.map((h) => ({
        id: `hold:${h.id}`,
        law: h.law,
        categories: [...h.categories].sort(),
        duration: h.duration,
        from: h.from,
        purpose: h.purpose,
      })),
    ],
  };
}

/** JSON with the keys of every object sorted: jsonb keeps its own key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
}

export function diffMaterial(from: Material, to: Material): MaterialChange[] {
  const changes: MaterialChange[] = [];
  for (const section of MATERIAL_SECTIONS) {
    const before = new Map((from[section] ?? []).map((e) => [e.id, e]));
    const after = new Map((to[section] ?? []).map((e) => [e.id, e]));
    for (const [id, e] of after) {
      const old = before.get(id);
      if (!old) {
        changes.push({ section, id, change: 'added', fields: [], values: [] });
        continue;
      }
      const keys = [...new Set([...Object.keys(old), ...Object.keys(e)])];
      const fields = keys.filter((k) => canonical(old[k]) !== canonical(e[k]));
      if (fields.length > 0) {
        // A property left out on one side (an older version's material) is null there.
        const values = fields.flatMap((field): ScalarChange[] => {
          const b = old[field] ?? null;
          const a = e[field] ?? null;
          return isScalar(b) && isScalar(a) ? [{ field, before: b, after: a }] : [];
        });
        changes.push({ section, id, change: 'changed', fields, values });
      }
    }
    for (const id of before.keys()) {
      if (!after.has(id)) {
        changes.push({ section, id, change: 'removed', fields: [], values: [] });
      }
    }
  }
  return changes;
}

export interface NoticeVersion {
  version: number;
  date: string;
  publishedAt: string;
  digest: string;
}

export interface VersionsStatus {
  versions: NoticeVersion[];
  current: {
    digest: string;
    /** The version whose definition is the one running now, if published. */
    publishedAs: number | null;
    /** No version yet, or the purposes, bases, recipients, transfers or retention changed since. */
    needsNewVersion: boolean;
    /** What changed in substance since the latest version (all of it when there is none). */
    changes: MaterialChange[];
  };
}

export interface NoticeVersionsService {
  list(): Promise<VersionsStatus>;
  /** The latest version made from the definition running now, if it is published. */
  running(): Promise<NoticeVersion | undefined>;
  /** The frozen notice of one version, in each language it was published in (Markdown). */
  get(
    version: number,
  ): Promise<(NoticeVersion & { notice: Partial<Record<NoticeLang, string>> }) | undefined>;
  /** The substance changed between two versions; `to` left out: the definition running now. */
  diff(from: number, to?: number): Promise<MaterialChange[]>;
  publish(actor: Actor, input: { date?: string | undefined }): Promise<NoticeVersion>;
}

/**
 * The published version of the notice in force at a moment: the latest published at or before
 * it; null when none had been published by then. The permission ledger records it with each
 * change (docs/permissions.md).
 */
export async function noticeInForce(db: Executor, at: Date): Promise<number | null> {
  const row = await db
    .selectFrom('notice_versions')
    .select('version')
    .where('published_at', '<=', at)
    .orderBy('version', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.version ?? null;
}

const noticeDate = sql<string>`to_char(notice_date, 'YYYY-MM-DD')`.as('notice_date');

export function createNoticeVersions(deps: {
  db: Executor;
  register: Register;
  audit: AuditService;
  clock: Clock;
  /** The notice in a language as Markdown, frozen into a version when it is published. */
  markdown: (lang: NoticeLang) => Promise<string>;
}): NoticeVersionsService {
  const { db, register, clock } = deps;
  const current = materialOf(register.definition);
  const present = (r: {
    version: number;
    notice_date: string;
    published_at: Date;
    digest: string;
  }): NoticeVersion => ({
    version: r.version,
    date: r.notice_date,
    publishedAt: r.published_at.toISOString(),
    digest: r.digest,
  });
  const definitionOf = async (version: number) => {
    const row = await db
      .selectFrom('notice_versions')
      .select('definition')
      .where('version', '=', version)
      .executeTakeFirst();
    if (!row) {
      throw new AppError('not_found', `there is no version ${version} of the notice`, [
        { field: 'version', detail: `no version ${version}` },
      ]);
    }
    return row.definition as RegisterDefinition;
  };

  return {
    async list() {
      const rows = await db
        .selectFrom('notice_versions')
        .select(['version', noticeDate, 'published_at', 'digest'])
        .orderBy('version', 'desc')
        .execute();
      const versions = rows.map(present);
      const latest = versions[0];
      const changes = latest
        ? diffMaterial(materialOf(await definitionOf(latest.version)), current)
        : diffMaterial({ purposes: [], recipients: [], transfers: [], retention: [] }, current);
      return {
        versions,
        current: {
          digest: register.digest.slice(0, 12),
          publishedAs: versions.find((v) => v.digest === register.digest)?.version ?? null,
          needsNewVersion: !latest || changes.length > 0,
          changes,
        },
      };
    },

    async running() {
      const row = await db
        .selectFrom('notice_versions')
        .select(['version', noticeDate, 'published_at', 'digest'])
        .where('digest', '=', register.digest)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? present(row) : undefined;
    },

    async get(version) {
      const row = await db
        .selectFrom('notice_versions')
        .select(['version', noticeDate, 'published_at', 'digest', 'notice'])
        .where('version', '=', version)
        .executeTakeFirst();
      return row
        ? { ...present(row), notice: row.notice as Partial<Record<NoticeLang, string>> }
        : undefined;
    },

    async diff(from, to) {
      const before = materialOf(await definitionOf(from));
      const after = to === undefined ? current : materialOf(await definitionOf(to));
      return diffMaterial(before, after);
    },

    async publish(actor, input) {
      requireAction(actor, 'manage_definition');
      const now = clock.now();
      const date = input.date ?? now.toISOString().slice(0, 10);
      const notice = Object.fromEntries(
        // Only the languages the register publishes in: the others were never written.
        await Promise.all(
          register.languages.map(async (l) => [l, await deps.markdown(l)] as const),
        ),
      );
      try {
        return await withTransaction(db, async (tx) => {
          const latest = await tx
            .selectFrom('notice_versions')
            .select(['version', 'digest'])
            .orderBy('version', 'desc')
            .limit(1)
            .executeTakeFirst();
          if (latest?.digest === register.digest) {
            throw new AppError(
              'conflict',
              `the definition running now is already published as version ${latest.version}`,
            );
          }
          const version = (latest?.version ?? 0) + 1;
          const row = await tx
            .insertInto('notice_versions')
            .values({
              version,
              notice_date: date,
              published_at: now,
              published_by: actor.id,
              digest: register.digest,
              definition: JSON.stringify(register.definition),
              notice: JSON.stringify(notice),
            })
            .returning(['version', noticeDate, 'published_at', 'digest'])
            .executeTakeFirstOrThrow();
          await deps.audit.record(tx, {
            actor,
            action: 'notice.publish',
            data: { version, digest: register.digest.slice(0, 12) },
          });
          return present(row);
        });
      } catch (err) {
        // Two publishers at once: the second finds the number taken.
        if ((err as { code?: unknown }).code === '23505') {
          throw new AppError('conflict', 'another version was published at the same moment');
        }
        throw err;
      }
    },
  };
}
