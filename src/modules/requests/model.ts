/**
 * What a request is: its states, the identity documents staff may record having checked, how a
 * recipient was told, and the shapes the service answers with.
 */
import { z } from 'zod';
import type { IdentityProof, RequestChannel, RequestType } from '../definition/index.ts';

/**
 * A value a rectification asks for, strict at every depth (an address's unknown keys refused):
 * the same shape the portal takes.
 */
export const fieldValueSchema = z.union([
  z.string().max(10_000),
  z.number(),
  z.boolean(),
  z.strictObject({
    street: z.string().max(200),
    postalCode: z.string().max(20),
    city: z.string().max(100),
    country: z.string().max(2).optional(),
  }),
  z.null(),
]);

export const REQUEST_STATES = [
  'received',
  'identity_pending',
  'in_progress',
  'completed',
  'refused',
  'cancelled',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** States a request ends in: nothing moves it on from these. */
export const CLOSED_STATES: readonly RequestState[] = ['completed', 'refused', 'cancelled'];

/** Which kind of identity document staff checked (never its number). */
export const DOCUMENT_TYPES = [
  'passport',
  'id_card',
  'driving_licence',
  'residence_permit',
  'other',
] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** How a recipient of the person's data was told of the request's outcome (Art. 19). */
export const TOLD_HOW = ['email', 'letter', 'api', 'phone', 'other'] as const;
export type ToldHow = (typeof TOLD_HOW)[number];

/** How staff told a person a letter's content (a letter posted, handed over, or said by phone). */
export const LETTER_HOW = ['post', 'handed_over', 'phone'] as const;
export type LetterHow = (typeof LETTER_HOW)[number];

/**
 * How an access copy reaches a person whose request gives no e-mail address (no download link):
 * printed and posted, or handed over.
 */
export const DELIVERY_HOW = ['post', 'handed_over'] as const;
export type DeliveryHow = (typeof DELIVERY_HOW)[number];

/** Why a letter stopped waiting without being sent: its request's data shredded, or kept too long. */
export const LETTER_CLOSED_WHY = ['shredded', 'expired'] as const;
export type LetterClosedWhy = (typeof LETTER_CLOSED_WHY)[number];

/** A postal address a request gives, to answer by letter. */
export const postalAddressSchema = z.strictObject({
  street: z.string().trim().min(1).max(200),
  postalCode: z.string().trim().min(1).max(20),
  city: z.string().trim().min(1).max(100),
  country: z.string().trim().max(100).optional(),
});
export type PostalAddress = z.infer<typeof postalAddressSchema>;

export const REQUEST_LANGS = ['sv', 'fi', 'en'] as const;
export type RequestLang = (typeof REQUEST_LANGS)[number];

/** One change a person asks for in a rectification request. */
export interface RequestedChange {
  category: string;
  field: string;
  value: unknown;
}

/** A request's personal data: sealed under the request's own key. */
export interface RequestSealed {
  email: string | null;
  phone: string | null;
  name: string | null;
  /** The postal address to answer by letter (letters, phone, in person); absent on old requests. */
  address?: PostalAddress | null;
  details: string | null;
  changes: RequestedChange[];
  /** Reasons given along the way, by step (`refuse`, `extend`, `cancel`, `complete`). */
  reasons: Partial<Record<'refuse' | 'extend' | 'cancel' | 'complete', string>>;
  /** Compelling grounds staff recorded against an objection, per purpose. */
  compellingGrounds: Array<{ purpose: string; reason: string }>;
}

export interface IdentityInput {
  proof: IdentityProof;
  documentType?: DocumentType | undefined;
}

export interface SubmitInput {
  type: RequestType;
  channel: RequestChannel;
  lang: RequestLang;
  email?: string | undefined;
  phone?: string | undefined;
  name?: string | undefined;
  address?: PostalAddress | undefined;
  details?: string | undefined;
  changes?: RequestedChange[] | undefined;
  subjectId?: string | undefined;
  identity?: IdentityInput | undefined;
}

/** A request as listed: no personal data. */
export interface RequestSummary {
  id: string;
  type: RequestType;
  state: RequestState;
  extended: boolean;
  channel: RequestChannel;
  lang: RequestLang;
  subjectId: string | null;
  receivedAt: string;
  identityProvenAt: string | null;
  /** `YYYY-MM-DD`, in Helsinki; null until the identity is proven. */
  dueOn: string | null;
  originalDueOn: string | null;
  closedAt: string | null;
  overdue: boolean;
  /** Letters to the person not yet marked sent (the request gives no e-mail address). */
  lettersWaiting: number;
  /**
   * Completed with a printed copy to post or hand over, its delivery not yet recorded: listed with
   * the open requests, overdue after its due date until the delivery is recorded.
   */
  deliveryPending: boolean;
}

export interface RequestEventView {
  seq: number;
  at: string;
  step: string;
  actor: string;
  data: Record<string, unknown>;
}

export interface RecipientToldView {
  recipientId: string;
  toldAt: string;
  how: ToldHow;
  recordedBy: string;
}

/**
 * A letter to the person, in place of a mail the request had no e-mail address for: the same
 * template's text, the controller as sender, the person's name and postal address (null: there
 * is none, tell them by the channel they used).
 */
export interface LetterView {
  id: string;
  template: string;
  lang: RequestLang;
  dueAt: string;
  subject: string;
  text: string;
  from: { name: string; street: string; postalCode: string; city: string; country: string };
  to: { name: string | null; address: PostalAddress | null };
  /** The letter's text is gone (sent, closed, or the request's data shredded): only its dates remain. */
  erased: boolean;
  sent: { how: LetterHow; on: string; by: string } | null;
  /** Closed without being sent: the request's data was shredded, or it waited too long. */
  closed: { why: LetterClosedWhy; at: string } | null;
}

/** A request in full, opened: for those who handle requests. */
export interface RequestView extends RequestSummary {
  contact: {
    email: string | null;
    phone: string | null;
    name: string | null;
    address: PostalAddress | null;
  };
  details: string | null;
  changes: RequestedChange[];
  reasons: RequestSealed['reasons'];
  compellingGrounds: RequestSealed['compellingGrounds'];
  identity: {
    proof: IdentityProof | null;
    documentType: DocumentType | null;
    checkedBy: string | null;
    /** Proofs any one of which lets the request go on (the channel's, or the type's stronger). */
    accepted: IdentityProof[];
  };
  /** Until when the access copy may be downloaded; null when none is ready. */
  downloadUntil: string | null;
  events: RequestEventView[];
  recipients: RecipientToldView[];
  letters: LetterView[];
  /**
   * Access, portability without an e-mail address: how the copy is to reach the person (set at
   * completion) and when it did; null for other requests.
   */
  delivery: {
    how: DeliveryHow;
    delivered: { how: DeliveryHow; on: string; by: string } | null;
  } | null;
}
