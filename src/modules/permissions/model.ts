/**
 * The permission ledger's vocabulary: states, methods of recording, the permission check's answer
 * codes, and the shapes the service answers with. The contract other modules (preference page,
 * unsubscribe, audiences, campaigns, interchange) build on; see docs/permissions.md.
 */

/**
 * A person's permission for one kind on one channel. "Never asked" is no state at all.
 * `pending`: asked and not yet confirmed (double opt-in): not consent.
 */
export const PERMISSION_STATES = [
  'granted',
  'refused',
  'withdrawn',
  'objected',
  'pending',
] as const;
export type PermissionState = (typeof PERMISSION_STATES)[number];

/** The states that take a person out of reach: a refusal, a withdrawn consent, an objection. */
export const NEGATIVE_STATES: ReadonlySet<PermissionState> = new Set([
  'refused',
  'withdrawn',
  'objected',
]);

export const isNegative = (s: PermissionState | null | undefined): boolean =>
  s !== null && s !== undefined && NEGATIVE_STATES.has(s);

/** How a change reached the ledger: the evidence's method. */
export const PERMISSION_METHODS = [
  'form',
  'import',
  'staff',
  'unsubscribe_link',
  'api',
  'request',
  'double_opt_in',
  'preference_page',
] as const;
export type PermissionMethod = (typeof PERMISSION_METHODS)[number];

/** Methods a person may use themselves (the portal's preference page, the unsubscribe link…). */
export const PERSON_METHODS: ReadonlySet<PermissionMethod> = new Set([
  'form',
  'unsubscribe_link',
  'double_opt_in',
  'preference_page',
]);

/**
 * Methods only the person's own pages record (their unsubscribe link, sign-up confirmation and
 * preference page): refused from staff and API keys. `form` is not among them: a controller's own
 * form may reach the register through its API, but it never undoes the person's refusal.
 */
export const PERSON_ONLY_METHODS: ReadonlySet<PermissionMethod> = new Set([
  'unsubscribe_link',
  'double_opt_in',
  'preference_page',
]);

/**
 * The methods that may grant (or ask, `pending`) again after the person refused, withdrew or
 * objected: only the person's own choice, made by the person themselves (never staff or an API
 * key, whatever method they name). An import, a member of staff or an integration's `api` call
 * cannot undo what the person said, whatever date it carries.
 */
export const REGRANT_METHODS: ReadonlySet<PermissionMethod> = new Set([
  'form',
  'double_opt_in',
  'preference_page',
]);

/** The languages a wording may be in. */
export const WORDING_LANGUAGES = ['sv', 'fi', 'en'] as const;
export type WordingLanguage = (typeof WORDING_LANGUAGES)[number];

/**
 * Why the permission check answered as it did. The allowed ones first, then the refusals in the
 * order they are tested.
 */
export const CHECK_CODES = [
  // allowed
  'consent_granted',
  'not_refused',
  'not_marketing',
  // not allowed
  'unknown_subject',
  'erased',
  'restricted',
  'stopped',
  'channel_not_used',
  'refused',
  'withdrawn',
  'objected',
  'consent_pending',
  'no_consent',
  'not_organisation_contact',
  'not_customer',
  'prohibition_list',
] as const;
export type CheckCode = (typeof CHECK_CODES)[number];

/** The channel of a ledger row about a kind as a whole (every channel). */
export const ANY_CHANNEL = '*';

export interface PermissionChange {
  kind: string;
  /** A channel of the definition that some purpose of the kind uses, or `*` for all of them. */
  channel: string;
  state: PermissionState;
}

/** What backs a change (Art. 7(1): the controller can show consent was given). */
export interface PermissionEvidence {
  method: PermissionMethod;
  /** When the person gave it (ISO 8601); now when left out. Never in the future. */
  givenAt?: string;
  /** The published notice version in force at `givenAt` (checked); that version when left out. */
  noticeVersion?: string;
  /** The words the person was shown (the consent sentence of a form). Required to grant. */
  wording?: { text: string; language: WordingLanguage };
  /** An opaque reference: the request, import run or campaign behind the change. */
  reference?: string;
}

/** One row of the current state. */
export interface PermissionStateEntry {
  kind: string;
  channel: string;
  state: PermissionState;
  changedAt: string;
  method: PermissionMethod;
}

/** One change in the history, with its evidence. */
export interface PermissionHistoryEntry {
  id: string;
  kind: string;
  channel: string;
  state: PermissionState;
  previousState: PermissionState | null;
  givenAt: string;
  recordedAt: string;
  method: PermissionMethod;
  noticeVersion: string | null;
  wording: { text: string; language: string } | null;
  reference: string | null;
  /** Who recorded it: `staff:<id>`, `api_key:<id>`, `subject:<id>`, `system:system`, `operator:cli`. */
  actor: string;
}

export interface RecordResult {
  /** The history rows written (a change to the state it already had is not written). */
  recorded: PermissionHistoryEntry[];
  /** The changes that were the state already (nothing written for them). */
  unchanged: PermissionChange[];
  /** The person's whole current state after the change. */
  state: PermissionStateEntry[];
}

export interface CheckInput {
  purpose: string;
  subjectId: string;
  /** A channel the purpose uses; left out (or `*`) for a purpose that reaches nobody by a channel. */
  channel?: string;
  /** The ledger as it stood then (ISO 8601, not in the future); now when left out. */
  at?: string;
}

export interface CheckResult {
  allowed: boolean;
  purpose: string;
  subjectId: string;
  channel: string;
  /** The permission kind of the purpose; null for a purpose that is not marketing. */
  kind: string | null;
  /** What reaching the person on the channel rests on; null for a purpose that is not marketing. */
  basis: 'consent' | 'opt_out' | 'soft_opt_in' | null;
  /** The ledger's state that decided (the later of the channel's and the kind's `*` row). */
  state: PermissionState | null;
  reason: { code: CheckCode; message: string };
  checkedAt: string;
}

/**
 * A Kantara Initiative Consent Receipt, specification v1.1 (KI-CR-v1.1.0): one consent the person
 * has given, as the fields of the specification name them.
 */
export interface ConsentReceipt {
  version: 'KI-CR-v1.1.0';
  /** The controller's country (ISO 3166-1 alpha-2). */
  jurisdiction: string;
  /** When the consent was given, in seconds since the epoch. */
  consentTimestamp: number;
  /** How it was collected: the ledger's method. */
  collectionMethod: string;
  consentReceiptID: string;
  publicKey?: string;
  language: string;
  /** The person, by their id in the register. */
  piiPrincipalId: string;
  piiControllers: Array<{
    piiController: string;
    onBehalf: boolean;
    contact: string;
    address: {
      streetAddress: string;
      postalCode: string;
      addressLocality: string;
      addressCountry: string;
    };
    email: string;
    /** Absent when the controller publishes no phone number. */
    phone?: string;
    piiControllerUrl?: string;
  }>;
  /** The privacy notice. */
  policyUrl: string;
  services: Array<{
    service: string;
    purposes: Array<{
      purpose: string;
      purposeCategory: string[];
      consentType: string;
      piiCategory: string[];
      primaryPurpose: boolean;
      termination: string;
      thirdPartyDisclosure: boolean;
      thirdPartyName?: string;
    }>;
  }>;
  sensitive: boolean;
  spiCat: string[];
}
