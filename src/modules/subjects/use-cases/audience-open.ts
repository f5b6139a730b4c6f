/**
 * Opening one page of an audience (docs/audiences.md, "Streaming"): each person's key unwrapped,
 * their value rows opened, the values of channels they do not allow withheld. The same result as
 * opening each person through the codec's `openRows`, with what many rows share computed once:
 * the provenance text bound into each row's associated data (a bulk import gives thousands of
 * rows the same), and the withheld fields of each set of allowed channels. Both caches hold no
 * personal data (sources, purposes, times, channel ids) and are bounded.
 */
import pg from 'pg';
import type { FieldMeta } from '../../../db/types.ts';
import type { Access } from '../access.ts';
import type { AudiencePageRow } from '../audience.repo.ts';
import type { OpenedCategories, StoredField } from '../subject-codec.ts';
import type { RowMeta } from '../subjects.repo.ts';
import type { AudienceMember } from './audience.ts';

/** Entries each cache may hold before it is emptied and filled again. */
const CACHE_LIMIT = 10_000;

const parseTimestamptz = pg.types.getTypeParser(pg.types.builtins.TIMESTAMPTZ) as (
  text: string,
) => Date;
/** `text[]`, whose type id pg's list of built-in types does not name. */
const TEXT_ARRAY = 1009;
const parseTextArray = pg.types.getTypeParser(
  TEXT_ARRAY as Parameters<typeof pg.types.getTypeParser>[0],
) as (text: string) => string[];

interface Provenance {
  /** What the row's associated data binds of its provenance. */
  text: string;
  meta: RowMeta;
}

const asBuffer = (v: Uint8Array): Buffer => (Buffer.isBuffer(v) ? v : Buffer.from(v));

/**
 * A function that opens pages of an audience as `pageWithValues` reads them, with the wrapped keys
 * the key store gave for the page. A person without a key is left out.
 */
export function openPage(access: Access) {
  const { codec } = access;
  const provenances = new Map<string, Provenance>();
  const withheldOf = new Map<string, ReadonlySet<string>>();

  /** A row's provenance as the data repository would map it (`mapValue`), cached by its text. */
  const provenanceOf = (r: AudiencePageRow): Provenance => {
    const cacheKey = `${r.source}\u0000${r.purpose}\u0000${r.collected_at}\u0000${r.field_meta}`;
    let p = provenances.get(cacheKey);
    if (!p) {
      const meta: RowMeta = {
        default: {
          source: r.source as string,
          purpose: r.purpose as string,
          collectedAt: parseTimestamptz(r.collected_at as string).toISOString(),
        },
        fields:
          r.field_meta === null ? {} : (JSON.parse(r.field_meta) as Record<string, FieldMeta>),
      };
      p = { text: codec.provenanceText(meta), meta };
      if (provenances.size >= CACHE_LIMIT) {
        provenances.clear();
      }
      provenances.set(cacheKey, p);
    }
    return p;
  };

  const withheld = (allowed: string): ReadonlySet<string> => {
    let w = withheldOf.get(allowed);
    if (!w) {
      w = access.withheldFields(parseTextArray(allowed));
      if (withheldOf.size >= CACHE_LIMIT) {
        withheldOf.clear();
      }
      withheldOf.set(allowed, w);
    }
    return w;
  };

  return (rows: readonly AudiencePageRow[], wrapped: ReadonlyMap<string, Buffer>) => {
    const members: AudienceMember[] = [];
    let i = 0;
    while (i < rows.length) {
      const first = rows[i] as AudiencePageRow;
      const id = first.id;
      let end = i + 1;
      while (end < rows.length && (rows[end] as AudiencePageRow).id === id) {
        end++;
      }
      const w = wrapped.get(id);
      if (w) {
        const key = codec.key(id, w);
        const hidden = withheld(first.allowed);
        const categories: OpenedCategories = {};
        for (let j = i; j < end; j++) {
          const r = rows[j] as AudiencePageRow;
          if (r.category === null || r.sealed === null || r.version === null) {
            continue;
          }
          const p = provenanceOf(r);
          const plain = codec.openSealed(
            key,
            id,
            r.category,
            r.version,
            p.text,
            asBuffer(r.sealed),
          );
          const fields: Record<string, StoredField> = {};
          for (const f of Object.keys(plain)) {
            if (hidden.size > 0 && hidden.has(`${r.category}.${f}`)) {
              continue;
            }
            const m = p.meta.fields[f] ?? p.meta.default;
            fields[f] = {
              value: plain[f] as StoredField['value'],
              source: m.source,
              purpose: m.purpose,
              collectedAt: m.collectedAt,
            };
          }
          categories[r.category] = fields;
        }
        members.push({ id, categories });
      }
      i = end;
    }
    return members;
  };
}
