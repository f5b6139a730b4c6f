/**
 * One address on the address lists (docs/interchange.md, "Taking an address off a list"): whether
 * an e-mail address or phone number is listed `undeliverable` (an e-mail service's cleaned member)
 * or `prohibition` (a direct-marketing prohibition list), and taking it off one with a reason.
 *
 * The address is normalised and keyed exactly as the lists key it (the vault's blind index); it is
 * never stored, logged or answered. The access log gets the list, the kind, the first 16 hex digits
 * of the address's interchange hash (what the suppression export hands out, so a removal can be
 * found again from the address) and, for a removal, the SHA-256 of the reason (the log takes no
 * free text).
 *
 * Who may: looking up either list, and taking an address off the undeliverable list (a fact about
 * the mailbox, like lifting a campaign bounce), needs `export_audiences` or `handle_requests`.
 * Taking an address off the prohibition list reopens marketing to a person who asked for none, so
 * it needs `handle_requests` (the admin, the data protection officer): more than recording one
 * (`write` or `handle_requests`), and never the marketing role alone, whose reach it would widen.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { withTransaction } from '../../db/transaction.ts';
import type { Database } from '../../db/types.ts';
import { may, type Actor } from '../../lib/actor.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, invalid, invalidAll, zodIssueFields } from '../../lib/errors.ts';
import { textFault } from '../../lib/text.ts';
import type { Vault } from '../../vault/vault.ts';
import type { AuditService } from '../audit/index.ts';
import { interchangeRepo as repo, type AddressKind, type AddressList } from './interchange.repo.ts';

export const ADDRESS_LISTS = [
  'undeliverable',
  'prohibition',
] as const satisfies readonly AddressList[];

/** The longest reason accepted (it is one line of why, not a note). */
export const REASON_MAX = 500;

const email = z
  .string()
  .max(320)
  .optional()
  .describe(
    'The e-mail address, as written: normalised (case, spaces, invisible characters) as the lists key it',
  );
const phone = z
  .string()
  .max(40)
  .optional()
  .describe(
    "The phone number, as written: normalised to E.164 as the lists key it (a leading 0 takes the register's calling code)",
  );

/** Which address: exactly one of `email` and `phone`. Unknown keys refused. */
export const addressLookupInput = z
  .strictObject({ email, phone })
  .meta({ id: 'AddressListLookup' });

export const addressRemovalInput = z
  .strictObject({
    email,
    phone,
    reason: z
      .string()
      .trim()
      .min(1)
      .max(REASON_MAX)
      .regex(/^[^\r\n]*$/, 'must be one line')
      .describe(
        'Why the address comes off the list (one line, up to 500 characters): what was checked, never personal data. Not kept as text: the access log keeps its SHA-256',
      ),
  })
  .meta({ id: 'AddressListRemoval' });

export interface AddressListEntry {
  list: AddressList;
  kind: AddressKind;
  listed: boolean;
  /** When it was listed, and where from (a list's name or an import run); null when not listed. */
  listedAt: string | null;
  source: string | null;
}

export interface AddressListRemoval {
  list: AddressList;
  kind: AddressKind;
  /** What the entry was. */
  listedAt: string;
  source: string;
  removedAt: string;
}

export interface AddressListDeps {
  db: Kysely<Database>;
  vault: Vault;
  audit: AuditService;
  clock: Clock;
}

function refuse(issues: z.core.$ZodIssue[]): never {
  throw invalidAll(issues.flatMap((i) => zodIssueFields(i)));
}

function listOf(list: string): AddressList {
  if (!(ADDRESS_LISTS as readonly string[]).includes(list)) {
    throw invalid('list', `expected one of ${ADDRESS_LISTS.join(', ')}`);
  }
  return list as AddressList;
}

function forbidden(actor: Actor, what: string, needs: string): AppError {
  const who = actor.kind === 'staff' ? `the role "${actor.role ?? '?'}"` : 'this credential';
  return new AppError('forbidden', `${who} may not ${what}: that needs ${needs}`);
}

/** Looking up either list, or taking an address off the undeliverable list. */
const mayTend = (actor: Actor) => may(actor, 'export_audiences') || may(actor, 'handle_requests');

export function createAddressListUseCases(deps: AddressListDeps) {
  const { db, vault, audit, clock } = deps;

  /** The address's kind, its blind index and the log's reference to it; 400 naming the field. */
  const addressOf = (input: { email?: string | undefined; phone?: string | undefined }) => {
    const given = (['email', 'phone'] as const).filter((k) => input[k] !== undefined);
    if (given.length === 0) {
      throw invalid('email', 'required: give an e-mail address (email) or a phone number (phone)');
    }
    if (given.length > 1) {
      throw invalid('phone', 'give either email or phone, not both');
    }
    const kind = given[0]!;
    const value = input[kind]!;
    const fault = textFault(value);
    if (fault) {
      throw invalid(kind, fault);
    }
    const index = kind === 'email' ? vault.emailIndex(value) : vault.phoneIndex(value);
    const share = vault.interchangeHash(kind, value);
    if (index === undefined || share === undefined) {
      throw invalid(kind, kind === 'email' ? 'not an e-mail address' : 'not a phone number');
    }
    return { kind, index, entry: share.slice(0, 16) };
  };

  /** Whether the address is on the list, since when and where from. Logged without the address. */
  const lookupAddress = async (
    actor: Actor,
    listName: string,
    raw: unknown,
  ): Promise<AddressListEntry> => {
    const list = listOf(listName);
    if (!mayTend(actor)) {
      throw forbidden(actor, 'look up the address lists', 'export_audiences or handle_requests');
    }
    const parsed = addressLookupInput.safeParse(raw);
    if (!parsed.success) {
      refuse(parsed.error.issues);
    }
    const { kind, index, entry } = addressOf(parsed.data);
    const found = await repo.entry(db, list, kind, index);
    await audit.log({
      actor,
      action: 'interchange.address_list_lookup',
      data: { list, kind, entry, listed: found !== undefined },
    });
    return {
      list,
      kind,
      listed: found !== undefined,
      listedAt: found ? found.listedAt.toISOString() : null,
      source: found ? found.source : null,
    };
  };

  /**
   * Takes the address off the list, in one transaction with its access-log entry. An address not
   * listed is answered 404 naming its field, and nothing changes.
   */
  const removeAddress = async (
    actor: Actor,
    listName: string,
    raw: unknown,
  ): Promise<AddressListRemoval> => {
    const list = listOf(listName);
    if (list === 'prohibition' ? !may(actor, 'handle_requests') : !mayTend(actor)) {
      throw forbidden(
        actor,
        `take an address off the ${list} list`,
        list === 'prohibition'
          ? 'handle_requests (it reopens marketing to a person who asked for none)'
          : 'export_audiences or handle_requests',
      );
    }
    const parsed = addressRemovalInput.safeParse(raw);
    if (!parsed.success) {
      refuse(parsed.error.issues);
    }
    const reasonFault = textFault(parsed.data.reason);
    if (reasonFault) {
      throw invalid('reason', reasonFault);
    }
    const { kind, index, entry } = addressOf(parsed.data);
    const at = clock.now();
    const removed = await withTransaction(db, async (tx) => {
      const was = await repo.removeFromList(tx, list, kind, index);
      if (!was) {
        throw new AppError(
          'not_found',
          `not listed: the ${kind === 'email' ? 'e-mail address' : 'phone number'} is not on the ${list} list`,
          [{ field: kind, detail: `not_listed: not on the ${list} list` }],
        );
      }
      await audit.record(tx, {
        actor,
        action: 'interchange.address_list_remove',
        data: {
          list,
          kind,
          entry,
          reason: createHash('sha256').update(parsed.data.reason).digest('hex').slice(0, 16),
        },
      });
      return was;
    });
    return {
      list,
      kind,
      listedAt: removed.listedAt.toISOString(),
      source: removed.source,
      removedAt: at.toISOString(),
    };
  };

  return { lookupAddress, removeAddress };
}
