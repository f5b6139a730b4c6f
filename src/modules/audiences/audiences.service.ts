/**
 * Audiences (docs/audiences.md): the people a marketing purpose may reach on one channel now,
 * filtered over the categories the purpose may use, counted before export and exported as CSV with
 * each person's id, the channel's value(s) and their unsubscribe link. Who is in it is the
 * subjects module's to answer (it applies the permission ledger, stops, restriction and erasure
 * in its SQL); this module validates, filters the opened values, writes the CSV and logs the export
 * as one processing.
 */
import { csvCell } from '../../lib/csv.ts';
import type { Register } from '../definition/index.ts';
import { requireAction, requirePurpose, type Actor } from '../../lib/actor.ts';
import { invalidAll, zodIssueFields, type FieldIssue } from '../../lib/errors.ts';
import type { AuditService } from '../audit/index.ts';
import {
  addressIsPrimary,
  type AudienceMember,
  type FieldValue,
  type SubjectsService,
} from '../subjects/index.ts';
import { audienceInput, type AudienceFilter } from './model.ts';

export interface AudiencesDeps {
  subjects: Pick<SubjectsService, 'audience' | 'countAudience'>;
  register: Register;
  audit: AuditService;
  /**
   * Unsubscribe links for a purpose and channel (src/modules/permissions): a function that gives
   * one person's link, issued afresh each time it is called.
   */
  unsubscribeUrls?: (p: { purpose: string; channel: string }) => (subjectId: string) => string;
  /**
   * Why the links cannot be handed out (PUBLIC_URL is not https: a one-click link an e-mail service
   * is given must be one); the export is refused with it before anything is read.
   */
  unsubscribeRefusal?: () => Error | undefined;
}

interface Plan {
  purpose: string;
  channel: string;
  filters: AudienceFilter[];
  createdAfter?: Date;
  /** `category.field` of the channel's values the purpose may see: the CSV's value columns. */
  columns: Array<{ category: string; field: string }>;
  /**
   * The columns a person must have a value in to be reachable: those of the channel's address kind
   * (e-mail, phone), or every column of a channel without one (post).
   */
  reach: Array<{ category: string; field: string }>;
  /**
   * Whether the database alone counts the audience exactly: the channel's address is the person's
   * primary one of its kind (`addressIsPrimary`: every field of that kind in the definition is
   * among `reach`, in the definition's order), so a person has a value there exactly when their
   * primary address's blind index is set, and it is that address the undeliverable list is
   * matched against (what the SQL asks). Otherwise the count opens each person as the export
   * does, and the subjects module checks each opened address against the list.
   */
  countInSql: boolean;
  categories: string[];
}

/** A stored value as one line of text: an address's parts joined with commas. */
function asText(value: FieldValue | undefined): string {
  if (value === undefined || value === null) {
    return '';
  }
  if (typeof value === 'object') {
    return Object.values(value as Record<string, unknown>)
      .filter((v) => v !== null && v !== undefined && v !== '')
      .map(String)
      .join(', ');
  }
  return String(value);
}

/**
 * A count with filters below this many people is answered as `fewerThan` this, not exactly
 * (docs/audiences.md): filters must not single out a person.
 */
export const AUDIENCE_MIN_GROUP = 5;

export function createAudiencesService(deps: AudiencesDeps) {
  const { subjects, register, audit } = deps;
  /** Every `category.field` a marketing channel names (e-mail, phone, postal address). */
  const channelFields = new Set(
    register.marketing.channels.flatMap((c) => c.fields.map((f) => `${f.category}.${f.field}`)),
  );

  /**
   * The input checked as the HTTP schema does (strict), then against the definition: every filter
   * on a field of a category the purpose may use. One validation_failed naming every field.
   */
  const plan = (actor: Actor, raw: unknown): Plan => {
    requireAction(actor, 'export_audiences');
    const parsed = audienceInput.safeParse(raw);
    if (!parsed.success) {
      throw invalidAll(parsed.error.issues.flatMap((i) => zodIssueFields(i)));
    }
    const input = parsed.data;
    requireAction(actor, 'read');
    requirePurpose(actor, input.purpose, 'read');
    const allowed = new Set(register.categoriesOf(input.purpose));
    const ownFields = new Set(
      (register.marketing.channel(input.channel)?.fields ?? []).map(
        (f) => `${f.category}.${f.field}`,
      ),
    );
    const issues: FieldIssue[] = [];
    input.filters.forEach((f, i) => {
      const [category = '', field = '', extra] = f.field.split('.');
      if (extra !== undefined || !register.field(category, field)) {
        issues.push({
          field: `filters[${i}].field`,
          detail: `"${f.field}" is no category.field of the definition`,
        });
      } else if (!allowed.has(category)) {
        issues.push({
          field: `filters[${i}].field`,
          detail: `purpose "${input.purpose}" may not use category "${category}"`,
        });
      } else if (
        channelFields.has(`${category}.${field}`) &&
        !ownFields.has(`${category}.${field}`)
      ) {
        // Another channel's address is withheld person by person (shown only where that channel
        // is allowed too): filtering by it would compare withheld values unseen and tell, by who
        // matches, whether a person allows that channel.
        issues.push({
          field: `filters[${i}].field`,
          detail: `"${f.field}" is the address of another channel than "${input.channel}", withheld from people who do not allow that channel: audiences are not filtered by it`,
        });
      }
    });
    if (issues.length > 0) {
      throw invalidAll(issues);
    }
    const channel = register.marketing.channel(input.channel);
    const columns = (channel?.fields ?? []).filter((f) => allowed.has(f.category));
    const address = channel?.address ?? null;
    const reach = address
      ? columns.filter((c) => register.field(c.category, c.field)?.type === address)
      : columns;
    const countInSql = addressIsPrimary(register, (c) => allowed.has(c), input.channel);
    const categories = [
      ...new Set([
        ...columns.map((c) => c.category),
        ...input.filters.map((f) => f.field.split('.')[0] ?? ''),
      ]),
    ];
    return {
      purpose: input.purpose,
      channel: input.channel,
      filters: input.filters,
      ...(input.createdAfter ? { createdAfter: new Date(input.createdAfter) } : {}),
      columns,
      reach,
      countInSql,
      categories,
    };
  };

  /** Whether the person has something to be reached at on the channel (docs/audiences.md). */
  const reachable = (m: AudienceMember, p: Plan) =>
    p.reach.some((c) => asText(m.categories[c.category]?.[c.field]?.value) !== '');

  const matches = (m: AudienceMember, filters: readonly AudienceFilter[]) =>
    filters.every((f) => {
      const [category = '', field = ''] = f.field.split('.');
      const stored = m.categories[category]?.[field];
      if (stored === undefined) {
        return false;
      }
      const have = asText(stored.value).toLocaleLowerCase('fi');
      switch (f.op) {
        case 'equals':
          return have === f.value.toLocaleLowerCase('fi');
        case 'contains':
          return have.includes(f.value.toLocaleLowerCase('fi'));
        case 'in':
          return f.values.some((v) => have === v.toLocaleLowerCase('fi'));
      }
    });

  const query = (p: Plan) => ({
    purpose: p.purpose,
    channel: p.channel,
    categories: p.categories,
    ...(p.createdAfter ? { createdAfter: p.createdAfter } : {}),
  });

  /**
   * The audience's size now. Without filters on values, one count in the database (where it is
   * exact: `countInSql`); otherwise every person is opened and filtered (as the export would).
   */
  const count = async (
    actor: Actor,
    raw: unknown,
  ): Promise<{ count: number; fewerThan?: number; purpose: string; channel: string }> => {
    const p = plan(actor, raw);
    let n = 0;
    if (p.filters.length === 0 && p.countInSql) {
      n = await subjects.countAudience(actor, query(p));
    } else {
      for await (const page of subjects.audience(actor, query(p))) {
        n += page.filter((m) => reachable(m, p) && matches(m, p.filters)).length;
      }
    }
    // Every count is a processing of the people counted: logged, with what was filtered and how
    // (never the values). A filtered count below the minimum group is not told exactly, so that
    // filters cannot single out a person and learn whether they may be reached.
    const small = p.filters.length > 0 && n < AUDIENCE_MIN_GROUP;
    await audit.log({
      actor,
      action: 'audience.count',
      purpose: p.purpose,
      data: {
        channel: p.channel,
        filters: p.filters.map((f) => ({ field: f.field, op: f.op })),
        createdAfter: p.createdAfter !== undefined,
        count: n,
      },
    });
    return small
      ? { count: 0, fewerThan: AUDIENCE_MIN_GROUP, purpose: p.purpose, channel: p.channel }
      : { count: n, purpose: p.purpose, channel: p.channel };
  };

  /**
   * The export: validated and authorised when called (so a refusal comes before anything is read
   * or sent), then CSV lines as they are read, page by page. Logged once when it ends, with the
   * number of rows sent (and whether it was cut short).
   */
  const exportCsv = (
    actor: Actor,
    raw: unknown,
    opts: { pageSize?: number; onRows?: (n: number) => void } = {},
  ): {
    header: string[];
    estimate: () => Promise<number>;
    lines: AsyncGenerator<string, void, undefined>;
    filename: string;
  } => {
    const p = plan(actor, raw);
    const insecure = deps.unsubscribeRefusal?.();
    if (insecure) {
      throw insecure;
    }
    const pages = subjects.audience(actor, query(p), opts.pageSize);
    const header = ['id', ...p.columns.map((c) => `${c.category}.${c.field}`), 'unsubscribe_url'];
    const unsubscribe = deps.unsubscribeUrls?.({ purpose: p.purpose, channel: p.channel });
    const filtered = p.filters.length > 0;
    async function* lines() {
      let rows = 0;
      let complete = false;
      try {
        // A byte order mark, so that spreadsheets read the file as UTF-8.
        yield `\uFEFF${header.map(csvCell).join(',')}\r\n`;
        for await (const page of pages) {
          let chunk = '';
          let n = 0;
          for (const m of page) {
            if (!reachable(m, p) || (filtered && !matches(m, p.filters))) {
              continue;
            }
            // The id (a UUID) and the link need no guard and no doubled quotes; csvCell would
            // leave them as they are.
            let line = `"${m.id}"`;
            for (const c of p.columns) {
              line += `,${csvCell(asText(m.categories[c.category]?.[c.field]?.value))}`;
            }
            line += unsubscribe ? `,${csvCell(unsubscribe(m.id))}\r\n` : ',""\r\n';
            chunk += line;
            n++;
          }
          rows += n;
          opts.onRows?.(rows);
          if (chunk) {
            yield chunk;
          }
        }
        complete = true;
      } finally {
        await audit.log({
          actor,
          action: 'audience.export',
          purpose: p.purpose,
          data: {
            channel: p.channel,
            filters: p.filters.map((f) => ({ field: f.field, op: f.op })),
            createdAfter: p.createdAfter !== undefined,
            rows,
            complete,
          },
        });
      }
    }
    return {
      header,
      estimate: () => subjects.countAudience(actor, query(p)),
      lines: lines(),
      filename: `audience-${p.purpose}-${p.channel}.csv`,
    };
  };

  /**
   * The audience's people after the filters, page by page, with the categories the channel's
   * values and the filters need: for a campaign, which logs its own processing (nothing is logged
   * here). Validated and authorised when called, as the export is.
   */
  const members = (
    actor: Actor,
    raw: unknown,
    opts: { pageSize?: number } = {},
  ): AsyncGenerator<AudienceMember[], void, undefined> => {
    const p = plan(actor, raw);
    const pages = subjects.audience(actor, query(p), opts.pageSize);
    return (async function* filtered() {
      for await (const page of pages) {
        const kept = page.filter((m) => reachable(m, p) && matches(m, p.filters));
        if (kept.length > 0) {
          yield kept;
        }
      }
    })();
  };

  return { count, exportCsv, members };
}

export type AudiencesService = ReturnType<typeof createAudiencesService>;
