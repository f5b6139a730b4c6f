/**
 * Interchange with e-mail services and prohibition lists (issue 11 item 9; docs/interchange.md):
 *
 * - `importAudience`: an e-mail service's audience export (Mailchimp, listmonk) into the permission
 *   ledger: people matched by the blind index of their primary e-mail address (the importer's
 *   dedupe key) or created under the named purpose, each status recorded with the method `import`,
 *   the run as `reference` and the list's own date as `givenAt`; cleaned (hard-bouncing) addresses
 *   listed as undeliverable without any permission change; addresses on the suppression list
 *   (erased people) not created again. A dry run reads and reports, and writes nothing.
 * - `importProhibitions`: a direct-marketing prohibition list (e-mail addresses and phone numbers)
 *   as keyed hashes; no marketing purpose then reaches the person on that channel.
 * - `exportSuppression`: the suppression and prohibition lists as HMAC-SHA256 under the
 *   interchange key, for a processor holding that key.
 * - `lookupAddress`, `removeAddress`: one address on those lists (address-lists.ts).
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/types.ts';
import { may, requireAction, requirePurpose, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, type FieldIssue } from '../../lib/errors.ts';
import type { AuditService } from '../audit/index.ts';
import type { Register } from '../definition/index.ts';
import { readCsv, type RawRecord } from '../imports/index.ts';
import { isNegative, type PermissionState, type PermissionsService } from '../permissions/index.ts';
import type { SubjectsService, ValuesInput } from '../subjects/index.ts';
import type { Vault } from '../../vault/vault.ts';
import {
  AUDIENCE_FORMATS,
  readMember,
  REQUIRED_COLUMNS,
  type AudienceFormat,
  type AudienceMember,
  type Rejection,
} from './formats.ts';
import { createAddressListUseCases } from './address-lists.ts';
import { interchangeRepo as repo, type AddressKind } from './interchange.repo.ts';

export interface AudienceImportSummary {
  /** The ledger's `reference` for every change of this run: `audience-<12 hex>`. */
  run: string;
  dryRun: boolean;
  lines: number;
  /** Ledger changes recorded (or, in a dry run, that would be), by state. */
  granted: number;
  withdrawn: number;
  refused: number;
  pending: number;
  /**
   * Lines whose state the ledger already holds for the kind and channel, or that this run (the
   * same file) recorded before: nothing recorded.
   */
  unchanged: number;
  /**
   * Lines dated before the ledger's current state for the kind and channel (a later choice
   * stands): nothing recorded, nothing changed.
   */
  superseded: number;
  /** Cleaned addresses listed as undeliverable (no permission change). */
  undeliverable: number;
  /** People found by their e-mail address, and people created. */
  matched: number;
  created: number;
  /** Lines whose address is on the suppression list (an erased person's): nobody created. */
  suppressed: number;
  /**
   * Lines that would grant (or leave pending) what the person refused, withdrew or objected to:
   * skipped, with the reason. Only the person's own choice undoes theirs.
   */
  skipped: Rejection[];
  rejected: Rejection[];
}

export interface ProhibitionImportSummary {
  run: string;
  dryRun: boolean;
  lines: number;
  /** Addresses newly on the list, and those already there. */
  email: number;
  phone: number;
  already: number;
  rejected: Rejection[];
}

export interface InterchangeDeps {
  db: Kysely<Database>;
  register: Register;
  vault: Vault;
  subjects: Pick<SubjectsService, 'createSubject' | 'isSuppressed' | 'bulkValues'>;
  permissions: Pick<PermissionsService, 'record' | 'grantBlockedBy' | 'seesPerson'>;
  audit: AuditService;
  clock: Clock;
}

const invalid = (field: string, detail: string) =>
  new AppError('validation_failed', `${field}: ${detail}`, [{ field, detail }]);

/** A prohibition list's name: letters, digits and `._:-` (it is kept and logged). */
const SOURCE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Header names a prohibition list's columns may have (case-insensitive). */
const EMAIL_COLUMNS = ['email', 'e-mail', 'email address', 'sähköposti', 'e-post'];
const PHONE_COLUMNS = ['phone', 'phone number', 'mobile', 'puhelin', 'matkapuhelin', 'telefon'];

async function digest(file: string, extra: string): Promise<string> {
  const { createReadStream } = await import('node:fs');
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file)
      .on('data', (c) => h.update(c))
      .on('error', () => reject(invalid('file', 'not found or not readable')))
      .on('end', () => resolve(h.update(extra).digest('hex').slice(0, 12)));
  });
}

export function createInterchangeService(deps: InterchangeDeps) {
  const { db, register, vault, clock, audit } = deps;
  const model = register.marketing;

  /** The purpose's field of type e-mail (and name fields) that a new person is created with. */
  const targetsOf = (purposeId: string) => {
    const purpose = register.purpose(purposeId);
    const categories = (purpose?.categories ?? [])
      .map((id) => register.definition.categories.find((c) => c.id === id))
      .filter((c) => c !== undefined);
    const find = (test: (f: { id: string; type: string }) => boolean) => {
      for (const c of categories) {
        const f = c.fields.find(test);
        if (f) {
          return { category: c.id, field: f.id };
        }
      }
      return undefined;
    };
    return {
      email: find((f) => f.type === 'email'),
      firstName: find((f) => f.id === 'firstName'),
      lastName: find((f) => f.id === 'lastName'),
    };
  };

  async function* rows(file: string): AsyncGenerator<RawRecord> {
    yield* readCsv(file, ',', { bytes: 0 });
  }

  const importAudience = async (
    actor: Actor,
    input: {
      file: string;
      format: AudienceFormat;
      purpose: string;
      channel?: string;
      /** Where the people came from (a source of the definition); `subject` by default. */
      source?: string;
      dryRun?: boolean;
    },
  ): Promise<AudienceImportSummary> => {
    requireAction(actor, 'write');
    if (!AUDIENCE_FORMATS.includes(input.format)) {
      throw invalid('format', `expected one of ${AUDIENCE_FORMATS.join(', ')}`);
    }
    const pm = model.purpose(input.purpose);
    if (!register.purpose(input.purpose)) {
      throw invalid('purpose', 'unknown purpose');
    }
    requirePurpose(actor, input.purpose, 'write');
    if (!pm) {
      throw invalid(
        'purpose',
        'not a marketing purpose (it names no permission kind): an audience list says nothing about it',
      );
    }
    const channel = input.channel ?? 'email';
    if (!pm.channels.has(channel)) {
      throw invalid(
        'channel',
        `purpose "${input.purpose}" reaches people on ${[...pm.channels.keys()].join(', ') || 'no channel'}`,
      );
    }
    const source = input.source ?? 'subject';
    if (!register.definition.sources.some((s) => s.id === source)) {
      throw invalid('source', 'unknown source');
    }
    const targets = targetsOf(input.purpose);
    if (!targets.email) {
      throw invalid('purpose', `purpose "${input.purpose}" uses no e-mail field`);
    }
    const dryRun = input.dryRun === true;
    const run = `audience-${await digest(input.file, `${input.format}|${input.purpose}|${channel}`)}`;
    const now = clock.now();
    const summary: AudienceImportSummary = {
      run,
      dryRun,
      lines: 0,
      granted: 0,
      withdrawn: 0,
      refused: 0,
      pending: 0,
      unchanged: 0,
      superseded: 0,
      undeliverable: 0,
      matched: 0,
      created: 0,
      suppressed: 0,
      skipped: [],
      rejected: [],
    };
    const seen = new Map<string, string>();
    let checkedHeader = false;
    for await (const raw of rows(input.file)) {
      summary.lines = raw.line;
      if ('error' in raw) {
        summary.rejected.push({ line: raw.line, field: '(line)', reason: raw.error });
        continue;
      }
      if (!checkedHeader) {
        const missing = REQUIRED_COLUMNS[input.format].filter((c) => !(c in raw.fields));
        if (missing.length > 0) {
          throw new AppError(
            'validation_failed',
            `the file is not a ${input.format} export: no column ${missing.join(', ')}`,
            missing.map((c) => ({
              field: c,
              detail: `the ${input.format} export's column is missing`,
            })),
          );
        }
        checkedHeader = true;
      }
      const m = readMember(input.format, raw.line, raw.fields);
      if ('reason' in m) {
        summary.rejected.push(m);
        continue;
      }
      const rejection = await oneMember(actor, m, {
        purpose: input.purpose,
        kind: pm.kind,
        channel,
        source,
        run,
        dryRun,
        now,
        targets,
        seen,
        summary,
      });
      if (rejection) {
        summary.rejected.push(rejection);
      }
    }
    await audit.log({
      actor,
      action: 'interchange.audience_import',
      purpose: input.purpose,
      data: {
        format: input.format,
        channel,
        run,
        dryRun,
        lines: summary.lines,
        granted: summary.granted,
        withdrawn: summary.withdrawn,
        refused: summary.refused,
        pending: summary.pending,
        unchanged: summary.unchanged,
        superseded: summary.superseded,
        undeliverable: summary.undeliverable,
        created: summary.created,
        suppressed: summary.suppressed,
        skipped: summary.skipped.length,
        rejected: summary.rejected.length,
      },
    });
    return summary;
  };

  /** One member line: match or create the person, then record the change; a rejection if not. */
  const oneMember = async (
    actor: Actor,
    m: AudienceMember,
    c: {
      purpose: string;
      kind: string;
      channel: string;
      source: string;
      run: string;
      dryRun: boolean;
      now: Date;
      targets: ReturnType<typeof targetsOf>;
      /** Blind index → person id (or '' for a person a dry run would create). */
      seen: Map<string, string>;
      summary: AudienceImportSummary;
    },
  ): Promise<Rejection | null> => {
    const index = vault.emailIndex(m.email);
    if (index === undefined) {
      return { line: m.line, field: m.emailColumn, reason: 'not an e-mail address' };
    }
    if (m.givenAt && m.givenAt.getTime() > c.now.getTime() + 5 * 60_000) {
      return { line: m.line, field: m.dateColumn, reason: 'a date in the future' };
    }
    if (m.status === 'undeliverable') {
      if (!c.dryRun) {
        await repo.addToList(
          db,
          'undeliverable',
          [{ kind: 'email', index, share: vault.interchangeHash('email', m.email) ?? null }],
          c.now,
          c.run,
        );
      }
      c.summary.undeliverable++;
      return null;
    }
    let subjectId = c.seen.get(index) ?? (await repo.subjectByEmailIndex(db, index));
    if (
      subjectId !== undefined &&
      !c.seen.has(index) &&
      !(await deps.permissions.seesPerson(actor, subjectId, { saysNo: isNegative(m.status) }))
    ) {
      // A person a legal hold keeps for purposes the importer does not have, or (but for a "no")
      // a restricted person the importer's marketing purposes do not find: the address is taken,
      // answered as a create with it is (a duplicate), never with their ledger (docs/retention.md).
      return {
        line: m.line,
        field: m.emailColumn,
        reason: 'the e-mail address already belongs to another subject',
      };
    }
    if (subjectId === undefined) {
      if (await deps.subjects.isSuppressed(db, { email: m.email })) {
        c.summary.suppressed++;
        return null;
      }
      const values: ValuesInput = {};
      const put = (t: { category: string; field: string } | undefined, v: string | undefined) => {
        if (t && v) {
          (values[t.category] ??= {})[t.field] = v;
        }
      };
      put(c.targets.email, m.email);
      put(c.targets.firstName, m.firstName);
      put(c.targets.lastName, m.lastName);
      try {
        if (c.dryRun) {
          // The checks a create applies to the values, so that a dry run rejects what the real
          // run would (docs/interchange.md, "Dry run").
          deps.subjects.bulkValues.check(c.purpose, values, 'create');
          subjectId = '';
        } else {
          const created = await deps.subjects.createSubject(actor, {
            purpose: c.purpose,
            source: c.source,
            values,
          });
          subjectId = created.id;
        }
      } catch (err) {
        return rejectionOf(m, err);
      }
      c.summary.created++;
    } else if (!c.seen.has(index)) {
      c.summary.matched++;
    }
    c.seen.set(index, subjectId);
    const state: PermissionState = m.status;
    if (subjectId !== '') {
      // The person's own "no" first: a grant over it is skipped with the reason, whatever the
      // channel's own row holds or the line's date (docs/interchange.md).
      if (state === 'granted' || state === 'pending') {
        const refusal = await deps.permissions.grantBlockedBy(
          actor,
          subjectId,
          c.kind,
          c.channel,
          'import',
        );
        if (refusal !== null) {
          c.summary.skipped.push({
            line: m.line,
            field: m.emailColumn,
            reason: `the person's own choice is ${refusal}: an import does not change it`,
          });
          return null;
        }
      }
      const current = await repo.currentState(db, subjectId, c.kind, c.channel);
      if (current?.state === state) {
        c.summary.unchanged++;
        return null;
      }
      // A line older than the state the ledger holds would only add history that changes nothing
      // (a later choice stands): it is not recorded, so importing the same file again writes
      // nothing. A live refusal said again is still recorded as new evidence (permissions.record).
      if (current && m.givenAt && m.givenAt.getTime() < current.changedAt.getTime()) {
        c.summary.superseded++;
        return null;
      }
      if (
        await repo.recordedByRun(db, subjectId, {
          kind: c.kind,
          channel: c.channel,
          state,
          reference: c.run,
          ...(m.givenAt ? { givenAt: m.givenAt } : {}),
        })
      ) {
        c.summary.unchanged++;
        return null;
      }
      if (!c.dryRun) {
        try {
          await deps.permissions.record(
            actor,
            subjectId,
            [{ kind: c.kind, channel: c.channel, state }],
            {
              method: 'import',
              reference: c.run,
              ...(m.givenAt ? { givenAt: m.givenAt.toISOString() } : {}),
            },
            { importRun: true },
          );
        } catch (err) {
          return rejectionOf(m, err);
        }
      }
    }
    c.summary[state]++;
    return null;
  };

  const rejectionOf = (m: AudienceMember, err: unknown): Rejection => {
    if (!(err instanceof AppError)) {
      throw err;
    }
    const issue: FieldIssue | undefined = err.issues[0];
    const field = issue?.field.includes('givenAt')
      ? m.dateColumn
      : issue?.field.includes('email') || err.code === 'conflict'
        ? m.emailColumn
        : (issue?.field ?? '(line)');
    return { line: m.line, field, reason: issue?.detail ?? err.code };
  };

  const importProhibitions = async (
    actor: Actor,
    input: { file: string; source: string; dryRun?: boolean },
  ): Promise<ProhibitionImportSummary> => {
    // A prohibition is never harder to record than what it prohibits: those who write, and those
    // who handle people's requests (the data protection officer), may list one.
    if (!may(actor, 'handle_requests')) {
      requireAction(actor, 'write');
    }
    if (!SOURCE.test(input.source)) {
      throw invalid('source', "expected a list's name: letters, digits and ._:- (up to 64)");
    }
    const dryRun = input.dryRun === true;
    const run = `prohib-${await digest(input.file, input.source)}`;
    const now = clock.now();
    const summary: ProhibitionImportSummary = {
      run,
      dryRun,
      lines: 0,
      email: 0,
      phone: 0,
      already: 0,
      rejected: [],
    };
    let columns: { email?: string; phone?: string } | undefined;
    let batch: Array<{ kind: AddressKind; index: string; share: string | null }> = [];
    const flush = async () => {
      const byKind = (k: AddressKind) => batch.filter((e) => e.kind === k);
      for (const kind of ['email', 'phone'] as const) {
        const entries = byKind(kind);
        if (entries.length === 0) {
          continue;
        }
        const there = await repo.listed(
          db,
          'prohibition',
          kind,
          entries.map((e) => e.index),
        );
        const fresh = entries.filter((e) => !there.has(e.index));
        summary.already += entries.length - fresh.length;
        summary[kind] += fresh.length;
        if (!dryRun) {
          await repo.addToList(db, 'prohibition', fresh, now, input.source);
        }
      }
      batch = [];
    };
    const inBatch = new Set<string>();
    for await (const raw of rows(input.file)) {
      summary.lines = raw.line;
      if ('error' in raw) {
        summary.rejected.push({ line: raw.line, field: '(line)', reason: raw.error });
        continue;
      }
      if (!columns) {
        const names = Object.keys(raw.fields);
        const pick = (wanted: string[]) => names.find((n) => wanted.includes(n.toLowerCase()));
        const email = pick(EMAIL_COLUMNS);
        const phone = pick(PHONE_COLUMNS);
        if (!email && !phone) {
          throw invalid(
            'file',
            `no column of e-mail addresses (${EMAIL_COLUMNS.join(', ')}) or phone numbers (${PHONE_COLUMNS.join(', ')})`,
          );
        }
        columns = { ...(email ? { email } : {}), ...(phone ? { phone } : {}) };
      }
      let any = false;
      for (const kind of ['email', 'phone'] as const) {
        const column = columns[kind];
        const v = column ? raw.fields[column] : undefined;
        if (!column || typeof v !== 'string' || v.trim() === '') {
          continue;
        }
        const index = kind === 'email' ? vault.emailIndex(v) : vault.phoneIndex(v);
        if (index === undefined) {
          summary.rejected.push({
            line: raw.line,
            field: column,
            reason: kind === 'email' ? 'not an e-mail address' : 'not a phone number',
          });
          any = true;
          continue;
        }
        any = true;
        if (inBatch.has(`${kind}:${index}`)) {
          summary.already++;
          continue;
        }
        inBatch.add(`${kind}:${index}`);
        batch.push({ kind, index, share: vault.interchangeHash(kind, v) ?? null });
      }
      if (!any) {
        summary.rejected.push({
          line: raw.line,
          field: columns.email ?? columns.phone ?? '(line)',
          reason: 'no address on the line',
        });
      }
      if (batch.length >= 1000) {
        await flush();
      }
    }
    await flush();
    await audit.log({
      actor,
      action: 'interchange.prohibition_import',
      data: {
        run,
        dryRun,
        lines: summary.lines,
        email: summary.email,
        phone: summary.phone,
        already: summary.already,
        rejected: summary.rejected.length,
      },
    });
    return summary;
  };

  /**
   * Writes the suppression list and the prohibition list as CSV lines (`hash,kind,since,reason`)
   * through `write`, page by page: flat memory. Entries without an interchange hash (made before
   * it existed) cannot be exported and are counted.
   */
  const exportSuppression = async (
    actor: Actor,
    write: (chunk: string) => void | Promise<void>,
  ): Promise<{ rows: number; withoutHash: number }> => {
    requireAction(actor, 'handle_requests');
    let after: { source: number; kind: string; index: string } | null = null;
    let rowsOut = 0;
    let withoutHash = 0;
    await write('hash,kind,since,reason\n');
    for (;;) {
      const page = await repo.exportPage(db, after, 5000);
      if (page.length === 0) {
        break;
      }
      let out = '';
      for (const r of page) {
        if (r.share_hash === null) {
          withoutHash++;
          continue;
        }
        out += `${r.share_hash},${r.kind},${new Date(r.since).toISOString()},${r.reason.replace(/[^A-Za-z0-9._:-]/g, '_')}\n`;
        rowsOut++;
      }
      if (out) {
        await write(out);
      }
      const last = page[page.length - 1]!;
      after = { source: last.source, kind: last.kind, index: last.index };
    }
    await audit.log({
      actor,
      action: 'interchange.suppression_export',
      data: { rows: rowsOut, withoutHash },
    });
    return { rows: rowsOut, withoutHash };
  };

  return {
    importAudience,
    importProhibitions,
    exportSuppression,
    /** One address on the undeliverable or prohibition list: look it up, take it off (address-lists.ts). */
    ...createAddressListUseCases({ db, vault, audit, clock }),
    /** The key a receiver of the export needs (hex): give it to them apart from the file. */
    interchangeKey: (actor: Actor) => {
      requireAction(actor, 'handle_requests');
      return vault.interchangeKey();
    },
  };
}

export type InterchangeService = ReturnType<typeof createInterchangeService>;
