/**
 * The register definition: one YAML file that says who the controller is, what is kept about
 * whom, why, on which legal basis, who receives it, where it goes and for how long. Everything
 * else in Rekisteri reads it; the data layer enforces it. Every object is strict: a key that is not
 * declared here (a misspelling such as `marketReserch`) is refused, never dropped.
 */
import { z } from 'zod';
import { countryProblem } from './countries.ts';

const id = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'expected an identifier of lowercase letters, digits and _');

const fieldId = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_]*$/, 'expected an identifier of letters, digits and _');

/** The languages a notice may be published in; a register declares its own (`languages`). */
export const LANGUAGES = ['sv', 'fi', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

/** A text in each language. After loading every language is present (see fillLanguages). */
export interface Localized {
  sv: string;
  fi: string;
  en: string;
}

/**
 * A text as written in the definition: only the register's declared languages are required
 * (checked once the whole definition is read, where `languages` is known); the loader fills the
 * others from the first declared language, so every consumer sees a whole `Localized`.
 */
export const localizedText = z.strictObject({
  sv: z.string().min(1).optional(),
  fi: z.string().min(1).optional(),
  en: z.string().min(1).optional(),
});
export const localized = localizedText.transform((v) => v as Localized);

/**
 * `unknown`: the notice the register was made from is silent here. The register still runs (an
 * unknown retention is never shredded automatically; a purpose on an unknown basis may be used but
 * is flagged), and `check` warns with the article that requires the answer.
 */
export const UNKNOWN = 'unknown';
export type Unknown = typeof UNKNOWN;
export const isUnknown = (value: unknown): value is Unknown => value === UNKNOWN;

/** ISO 8601 duration of whole years, months, weeks or days: P10Y, P6M, P2Y6M, P30D. */
const duration = z
  .string()
  .regex(
    /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$/,
    'expected an ISO 8601 duration such as P2Y, P6M or P30D',
  );

/** An officially assigned ISO 3166-1 alpha-2 code (countries.ts). */
const country = z.string().superRefine((value, ctx) => {
  const problem = countryProblem(value);
  if (problem !== undefined) {
    // The message already quotes the value: the loader prints it as it is.
    ctx.addIssue({ code: 'custom', message: problem, params: { quotesValue: true } });
  }
});

/** A country code, or `unknown` where the notice does not say. */
const countryOrUnknown = z.string().superRefine((value, ctx) => {
  const problem = value === 'unknown' ? undefined : countryProblem(value);
  if (problem !== undefined) {
    // The message already quotes the value: the loader prints it as it is.
    ctx.addIssue({ code: 'custom', message: problem, params: { quotesValue: true } });
  }
});

/**
 * The last day of the financial year, MM-DD (`12-31` when it is the calendar year). Legal holds
 * that run from the end of the financial year (the Accounting Act's) count from it. A day that no
 * year has (02-30) is refused, and so is 02-29, which most years lack: a financial year that ends
 * with February ends on 02-28 here.
 */
const financialYearEnd = z.string().superRefine((value, ctx) => {
  const m = /^(\d{2})-(\d{2})$/.exec(value);
  if (!m) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected the last day of the financial year as MM-DD, such as 12-31 or 06-30',
    });
    return;
  }
  const month = Number(m[1]);
  const day = Number(m[2]);
  // Days in each month of a year that is not a leap year.
  const days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (days === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `there is no month ${m[1]}: expected MM-DD with MM from 01 to 12`,
    });
  } else if (day < 1 || day > days) {
    ctx.addIssue({
      code: 'custom',
      message:
        month === 2 && day === 29
          ? '02-29 is not in every year: a financial year that ends with February ends on 02-28'
          : `month ${m[1]} has no day ${m[2]}: expected a day from 01 to ${days}`,
    });
  }
});

const address = z.strictObject({
  street: z.string().min(1),
  postalCode: z.string().min(1),
  city: z.string().min(1),
  country,
});

const contactPerson = z.strictObject({
  name: z.string().min(1),
  /**
   * Their role (chief executive, data protection officer), in each language; a plain string (the
   * older form) is used as it is in every language.
   */
  role: z
    .union([z.string().min(1), localized])
    .transform((r): Localized => (typeof r === 'string' ? { sv: r, fi: r, en: r } : r))
    .optional(),
  email: z.email().optional(),
  phone: z.string().min(1).optional(),
});

/**
 * A person the privacy notice publishes a way to reach (the data protection officer, Art. 13(1)(b);
 * the representative, Art. 27): a name alone is not contact details.
 */
const reachablePerson = (who: string) =>
  contactPerson.superRefine((p, ctx) => {
    if (p.email === undefined && p.phone === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['email'],
        message: `give an e-mail address or a phone number: the notice publishes how ${who} is reached`,
      });
    }
  });

export const FIELD_TYPES = [
  'text',
  'email',
  'phone',
  'address',
  'date',
  'datetime',
  'number',
  'boolean',
  'enum',
  'json',
  'url',
  'ip',
  'file',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

const field = z.strictObject({
  id: fieldId,
  type: z.enum(FIELD_TYPES),
  label: localized,
  /** Largest accepted value, in characters (bytes of JSON for json). Defaults by type. */
  maxLength: z.number().int().positive().max(1_000_000).optional(),
  /** Allowed values of an enum field. */
  values: z.array(z.string().min(1)).min(1).optional(),
  /** Name-like text: tokens and their prefixes go into the blind search index. */
  searchable: z.boolean().default(false),
  /** Text that may hold several lines (tab and line breaks); other text is one line. */
  multiline: z.boolean().default(false),
  required: z.boolean().default(false),
  /** The person may correct this field themselves in the portal (Art. 16); others go to staff. */
  selfEditable: z.boolean().default(false),
  fideslang: z.string().optional(),
});
export type FieldDefinition = z.infer<typeof field>;

const category = z.strictObject({
  id,
  label: localized,
  description: localized.optional(),
  /** Art. 9 special category of personal data. */
  special: z.boolean().default(false),
  /** May concern children. */
  children: z.boolean().default(false),
  /**
   * An open-ended item a notice lists as it is ("other information given with your consent"):
   * published with its description, and warned about as not specific (Art. 13(1)(c), 14(1)(d)).
   */
  openEnded: z.boolean().default(false),
  fideslang: z.string().optional(),
  fields: z.array(field).min(1),
});
export type CategoryDefinition = z.infer<typeof category>;

export const SOURCE_KINDS = [
  'subject',
  'public_register',
  'social_network',
  'partner',
  'automatic',
  'staff',
] as const;

const source = z.strictObject({
  id,
  kind: z.enum(SOURCE_KINDS),
  label: localized,
  /** The categories this source supplies (Art. 14(1)(d), 14(2)(f)); empty when not stated. */
  categories: z.array(id).default([]),
});

export const LEGAL_BASES = [
  'consent',
  'contract',
  'legal_obligation',
  'vital_interest',
  'public_task',
  'legitimate_interest',
] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];
/** A purpose's basis as declared: one of LEGAL_BASES, or `unknown` where the notice is silent. */
export type DeclaredLegalBasis = LegalBasis | Unknown;

/**
 * Marketing permissions (Information Society Code 917/2014 ch. 24; GDPR Art. 7, 21(2)–(3)): the
 * channels a register reaches people on and the kinds of permission it asks for. Four channels
 * and five kinds are built in (their labels and nature are known); a register declares the ones it
 * uses, and may add its own.
 */
export const BUILT_IN_CHANNELS = {
  email: {
    electronic: true,
    label: { sv: 'E-post', fi: 'Sähköposti', en: 'E-mail' },
  },
  sms: {
    electronic: true,
    label: { sv: 'SMS och mobil', fi: 'Tekstiviesti ja mobiili', en: 'SMS and mobile' },
  },
  phone: {
    electronic: false,
    label: { sv: 'Telefon', fi: 'Puhelin', en: 'Phone' },
  },
  post: {
    electronic: false,
    label: { sv: 'Post', fi: 'Posti', en: 'Post' },
  },
} as const satisfies Record<string, { electronic: boolean; label: Localized }>;

/** What a kind of permission is, in the law's terms: it decides which stops and rules reach it. */
export const PERMISSION_NATURES = ['direct_marketing', 'market_research', 'profiling'] as const;
export type PermissionNature = (typeof PERMISSION_NATURES)[number];

export const BUILT_IN_KINDS = {
  newsletter: {
    nature: 'direct_marketing',
    label: { sv: 'Nyhetsbrev', fi: 'Uutiskirje', en: 'Newsletter' },
  },
  direct_marketing: {
    nature: 'direct_marketing',
    label: { sv: 'Direktmarknadsföring', fi: 'Suoramarkkinointi', en: 'Direct marketing' },
  },
  market_research: {
    nature: 'market_research',
    label: {
      sv: 'Marknadsundersökningar och opinionsmätningar',
      fi: 'Markkina- ja mielipidetutkimukset',
      en: 'Market research and opinion polls',
    },
  },
  profiling: {
    nature: 'profiling',
    label: {
      sv: 'Profilering och segmentering',
      fi: 'Profilointi ja segmentointi',
      en: 'Profiling and segmentation',
    },
  },
  targeted_advertising: {
    nature: 'direct_marketing',
    label: { sv: 'Riktad reklam', fi: 'Kohdennettu mainonta', en: 'Targeted advertising' },
  },
} as const satisfies Record<string, { nature: PermissionNature; label: Localized }>;

/** `category.field` of the register: a value a channel reaches the person at. */
const fieldRef = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*\.[a-zA-Z][a-zA-Z0-9_]*$/,
    'expected category.field, such as contact.email',
  );

const marketingChannel = z.strictObject({
  id,
  /** Built-in channels (email, sms, phone, post) have labels of their own; others need one. */
  label: localized.optional(),
  /**
   * An electronic message (e-mail, SMS, push, an automated call): to private persons only with
   * prior consent. Known for the built-in channels; required for a channel the register adds.
   */
  electronic: z.boolean().optional(),
  /** The fields (`category.field`) the channel reaches the person at: withheld when not allowed. */
  fields: z.array(fieldRef).min(1),
});

const permissionKind = z.strictObject({
  id,
  label: localized.optional(),
  /** Known for the built-in kinds; required for a kind the register adds. */
  nature: z.enum(PERMISSION_NATURES).optional(),
});

export const CHANNEL_BASES = ['consent', 'opt_out', 'soft_opt_in'] as const;
export type ChannelBasis = (typeof CHANNEL_BASES)[number];

/** Whom a marketing purpose addresses (Information Society Code s. 200–202). */
export const AUDIENCES = ['private_persons', 'organisation_contacts', 'mixed'] as const;
export type Audience = (typeof AUDIENCES)[number];

const purposePermission = z.strictObject({
  /** A kind of marketing.kinds. */
  kind: id,
  /**
   * `private_persons` (consumers), `organisation_contacts` (people in their role at an
   * organisation: opt-out suffices for electronic mail), or `mixed` (treated as private persons).
   */
  audience: z.enum(AUDIENCES),
  /**
   * For `organisation_contacts`: the category whose presence shows a person is a contact of an
   * organisation (organisation). A person without a value in it is not reached.
   */
  organisationCategory: id.optional(),
  /**
   * For a channel on `soft_opt_in`: the category whose presence shows the contact details were
   * obtained from the person as a customer in a sale (orders). A person without it is not reached.
   */
  customerCategory: id.optional(),
  /**
   * Per channel, what reaching the person rests on: `consent` (opt-in: only with permission
   * granted), `opt_out` (legitimate interest with the right to object: unless refused, withdrawn
   * or objected), `soft_opt_in` (the Information Society Code s. 200(2) exception: e-mail or SMS
   * to one's own customers about one's own similar products, opt-out, and only for customers).
   * Empty for a kind that reaches nobody by a channel (profiling): then `basis` says it.
   */
  channels: z.array(z.strictObject({ channel: id, basis: z.enum(CHANNEL_BASES) })).default([]),
  /** For a purpose with no channel (profiling, segmentation): consent or opt_out. */
  basis: z.enum(['consent', 'opt_out']).optional(),
});
export type PurposePermission = z.infer<typeof purposePermission>;

/**
 * Whether providing the data is required (Art. 13(2)(e)): `statutory` (a law requires it),
 * `contractual` (a contract requires it), `contract_precondition` (needed to enter into a
 * contract), `voluntary` (nothing requires it).
 */
export const REQUIREMENT_KINDS = [
  'statutory',
  'contractual',
  'contract_precondition',
  'voluntary',
] as const;
export type RequirementKind = (typeof REQUIREMENT_KINDS)[number];

/**
 * A value that is either `unknown` (the notice is silent) or the answer. A wrong answer is refused
 * naming the key inside it that is wrong (the loader reads into the union), not the whole value.
 */
const unknownOr = <T extends z.core.$ZodType>(inner: T, expected: string) =>
  z.union([z.literal(UNKNOWN), inner], {
    error: `expected unknown, or ${expected}`,
  });

const requirement = unknownOr(
  z
    .strictObject({
      kind: z.enum(REQUIREMENT_KINDS),
      /** Whether the person is obliged to provide the data. */
      obliged: z.boolean(),
      /** What follows from not providing them (no contract, no service, no newsletter). */
      consequences: localized,
    })
    .superRefine((r, ctx) => {
      if (r.kind === 'voluntary' && r.obliged) {
        ctx.addIssue({
          code: 'custom',
          path: ['obliged'],
          message: 'a voluntary requirement does not oblige the person: obliged must be false',
          params: { quotesValue: true },
        });
      }
    }),
  'a mapping of kind, obliged and consequences',
);
export type RequirementDefinition = z.infer<typeof requirement>;

/**
 * A decision based solely on automated processing, profiling included, that produces legal or
 * similarly significant effects (Art. 22), as the notice describes it (Art. 13(2)(f), 14(2)(g)).
 */
const automatedDecision = z.strictObject({
  id,
  label: localized,
  /** Meaningful information about the logic involved. */
  logic: localized,
  /** The significance and the envisaged consequences for the person. */
  consequences: localized,
  /** Whether the decision rests on profiling (Art. 4(4)). */
  profiling: z.boolean().default(false),
  /** The purposes (purposes[].id) it is made for. */
  purposes: z.array(id).default([]),
});
export type AutomatedDecisionDefinition = z.infer<typeof automatedDecision>;

const purpose = z.strictObject({
  id,
  label: localized,
  description: localized,
  /** `unknown` where the notice names none: usable, but flagged (Art. 13(1)(c)). */
  legalBasis: z.enum([...LEGAL_BASES, UNKNOWN]),
  /** The legitimate interest pursued, required when legalBasis is legitimate_interest. */
  legitimateInterest: localized.optional(),
  /** For legal_obligation: the law that imposes it. */
  law: z.string().optional(),
  categories: z.array(id).min(1),
  directMarketing: z.boolean().default(false),
  profiling: z.boolean().default(false),
  marketResearch: z.boolean().default(false),
  /** Whether data of a restricted subject may still be processed for this purpose (Art. 18(2)). */
  allowedDuringRestriction: z.boolean().default(false),
  /**
   * An open-ended purpose a notice states as it is ("other purposes to which you consent"): its
   * description is published; `check` warns that it is not specific (Art. 5(1)(b), 13(1)(c)).
   */
  openEnded: z.boolean().default(false),
  retention: id,
  /**
   * Whether providing the data is a statutory or contractual requirement or needed to enter into a
   * contract, whether the person is obliged, and what follows from not providing them
   * (Art. 13(2)(e)); `unknown` where the notice does not say. Left out, `check` warns as for unknown.
   */
  requirement: requirement.optional(),
  /**
   * A purpose that markets to people, researches or profiles them: the permission kind it needs
   * and, per channel, what it rests on. Without it a purpose is not marketing (service messages
   * within a customer relationship) and the permission ledger does not touch it.
   */
  permission: purposePermission.optional(),
});
export type PurposeDefinition = z.infer<typeof purpose>;

export const RECIPIENT_ROLES = [
  'processor',
  'subprocessor',
  'controller',
  'joint_controller',
  'authority',
  'other',
] as const;

const recipient = z.strictObject({
  id,
  /**
   * Its name, in each language (an authority's differs: Verohallinto / Skatteförvaltningen); a
   * plain string, as a company's proper name is, is used as it is in every language.
   */
  name: z
    .union([z.string().min(1), localized])
    .transform((r): Localized => (typeof r === 'string' ? { sv: r, fi: r, en: r } : r)),
  role: z.enum(RECIPIENT_ROLES),
  /** Where the recipient is; `unknown` where the notice does not say (Art. 13(1)(f), 44–49). */
  country: countryOrUnknown,
  description: localized,
  categories: z.array(id).default([]),
  purposes: z.array(id).default([]),
  /**
   * Date of the data processing agreement (Art. 28(3)), for processors; `unknown` where the
   * notice does not say.
   */
  dpaDate: z
    .string()
    .refine(
      (v) => v === UNKNOWN || z.iso.date().safeParse(v).success,
      'expected a date YYYY-MM-DD, or unknown',
    )
    .optional(),
  /**
   * A US recipient certified under the EU-US Data Privacy Framework (on the DPF List for the data
   * it receives): only such a recipient may receive data under mechanism dpf.
   */
  dpfCertified: z.boolean().default(false),
});
export type RecipientDefinition = z.infer<typeof recipient>;

/**
 * How data may leave the EU/EEA (Art. 45–49). `privacy_shield` and `safe_harbor` are void (CJEU
 * C-311/18 of 16 July 2020, C-362/14 of 6 October 2015): accepted by the schema so that a
 * register made from an old notice loads far enough for `check` to say so, and refused there.
 */
export const TRANSFER_MECHANISMS = [
  'adequacy',
  'dpf',
  'scc',
  'bcr',
  'derogation',
  'privacy_shield',
  'safe_harbor',
  'unknown',
] as const;
export type TransferMechanism = (typeof TRANSFER_MECHANISMS)[number];

const transfer = z.strictObject({
  recipient: id,
  country,
  /** `unknown` where the notice names a transfer but not its safeguard (Art. 13(1)(f)). */
  mechanism: z.enum(TRANSFER_MECHANISMS).optional(),
  /**
   * For a partial adequacy decision (Canada, Japan, Israel, Korea): the controller has checked
   * that the recipient and the data fall within its scope. Without it `check` warns.
   */
  withinAdequacyScope: z.boolean().optional(),
  /** SCC 2021/914 module 1–4 when mechanism is scc. */
  sccModule: z.number().int().min(1).max(4).optional(),
  /** The Art. 49 derogation relied on when mechanism is derogation. */
  derogation: z.string().optional(),
  description: localized.optional(),
});

export const RETENTION_EVENTS = [
  'collection',
  'end_of_relationship',
  'last_activity',
  'end_of_financial_year',
  'withdrawal',
  'request_closed',
] as const;

export type RetentionEvent = (typeof RETENTION_EVENTS)[number];

/**
 * How long a purpose keeps data. `duration: unknown` where the notice does not say: such data are
 * never deleted automatically (a retention sweep skips the rule), `from` may be left out, and
 * `check` warns (Art. 13(2)(a)).
 */
const retentionRule = z
  .strictObject({
    id,
    duration: z
      .string()
      .regex(
        /^(unknown|P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?)$/,
        'expected an ISO 8601 duration such as P2Y, P6M or P30D, or unknown',
      ),
    from: z.enum(RETENTION_EVENTS).optional(),
    label: localized,
  })
  .superRefine((r, ctx) => {
    if (r.duration !== UNKNOWN && r.from === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['from'],
        message: `say which event the duration counts from (${RETENTION_EVENTS.join(', ')})`,
      });
    }
  });
export type RetentionRule = z.infer<typeof retentionRule>;

const legalHold = z.strictObject({
  id,
  law: z.string().min(1),
  categories: z.array(id).min(1),
  /**
   * The categories whose presence means the law applies to the person (for bookkeeping, the
   * orders or invoices): the hold keeps its `categories` only for a person with data in one of
   * them. Left out, every category of the hold triggers it.
   */
  triggeredBy: z.array(id).min(1).optional(),
  /**
   * The one purpose the held data stay readable for after an erasure (bookkeeping, say); it must
   * use every category the hold keeps.
   */
  purpose: id,
  duration,
  from: z.enum(RETENTION_EVENTS),
  label: localized,
});

/**
 * When personal data are disclosed outside the processors (Art. 13(1)(e)): the conditions notices
 * state. `none_except_contract_consent_law`: not disclosed except under a contract, with consent
 * or where a law requires; `authorities_on_request`: to authorities that ask under their powers;
 * `business_sale`: to the buyer in a sale or merger of the business; `other`: as the text says.
 */
export const DISCLOSURE_KINDS = [
  'none_except_contract_consent_law',
  'authorities_on_request',
  'business_sale',
  'other',
] as const;
export type DisclosureKind = (typeof DISCLOSURE_KINDS)[number];

/** The standard wording of each built-in kind, used when a disclosure gives no text of its own. */
export const DISCLOSURE_TEXTS: Readonly<Record<Exclude<DisclosureKind, 'other'>, Localized>> = {
  none_except_contract_consent_law: {
    sv: 'Vi lämnar inte ut personuppgifter till andra än våra personuppgiftsbiträden, utom när ett avtal, den registrerades samtycke eller lag kräver det.',
    fi: 'Emme luovuta henkilötietoja muille kuin käsittelijöillemme, paitsi sopimuksen, rekisteröidyn suostumuksen tai lain sitä edellyttäessä.',
    en: 'We do not disclose personal data to anyone but our processors, except where a contract, the data subject’s consent or the law requires it.',
  },
  authorities_on_request: {
    sv: 'Vi lämnar ut personuppgifter till myndigheter som begär dem med stöd av sina lagstadgade befogenheter.',
    fi: 'Luovutamme henkilötietoja viranomaisille, jotka pyytävät niitä lakisääteisten toimivaltuuksiensa nojalla.',
    en: 'We disclose personal data to authorities that ask for them under their statutory powers.',
  },
  business_sale: {
    sv: 'Om verksamheten eller en del av den säljs eller fusioneras kan personuppgifterna överlåtas till köparen.',
    fi: 'Jos liiketoiminta tai sen osa myydään tai sulautetaan, henkilötiedot voidaan luovuttaa ostajalle.',
    en: 'If the business or a part of it is sold or merged, the personal data may pass to the buyer.',
  },
};

const disclosure = z
  .strictObject({
    kind: z.enum(DISCLOSURE_KINDS),
    /** The condition in the notice's own words; the standard wording of the kind when left out. */
    text: localized.optional(),
    /** The recipients (recipients[].id) the disclosure reaches, where named. */
    recipients: z.array(id).default([]),
  })
  .superRefine((d, ctx) => {
    if (d.kind === 'other' && d.text === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['text'],
        message: 'a disclosure of kind other says its condition in text',
      });
    }
  })
  .transform((d) => ({
    ...d,
    text: d.text ?? DISCLOSURE_TEXTS[d.kind as Exclude<DisclosureKind, 'other'>],
  }));
export type DisclosureDefinition = z.infer<typeof disclosure>;

/** A calendar date, YYYY-MM-DD. */
const isoDate = z.iso.date();

/**
 * The privacy notice itself: its date and version, when it is reviewed, how changes are
 * announced, and the laws it cites (checked for repealed ones).
 */
const notice = z.strictObject({
  /** The day this version of the notice was drawn up or last updated. */
  date: isoDate,
  /** The notice's own version label ("3", "2026-1"). */
  version: z.string().min(1).optional(),
  /** How often it is reviewed, as an ISO 8601 duration (P1Y). */
  reviewInterval: duration.optional(),
  /** The day of the next review. */
  nextReview: isoDate.optional(),
  /** How changes to the notice are announced (on the website, by e-mail to customers…). */
  changes: localized.optional(),
  /** The laws the notice cites, as it cites them ("Data Protection Act 1050/2018"). */
  laws: z.array(z.string().min(1)).default([]),
});
export type NoticeDefinition = z.infer<typeof notice>;

export const COOKIE_CATEGORIES = ['necessary', 'preferences', 'statistics', 'marketing'] as const;

const cookie = z.strictObject({
  name: z.string().min(1),
  provider: z.string().min(1),
  category: z.enum(COOKIE_CATEGORIES),
  purpose: localized,
  duration: z.string().min(1),
});

/** A web address for the published notice: http or https only (never javascript: or data:). */
const webAddress = z.url({
  protocol: /^https?$/,
  error: 'expected an http:// or https:// address',
});

const supervisoryAuthority = z.strictObject({
  name: localized,
  website: webAddress,
  email: z.email().optional(),
  phone: z.string().optional(),
  address: address.optional(),
});

const DEFAULT_AUTHORITY = {
  name: {
    sv: 'Dataombudsmannens byrå',
    fi: 'Tietosuojavaltuutetun toimisto',
    en: 'Office of the Data Protection Ombudsman',
  },
  website: 'https://tietosuoja.fi',
};

/** The rights a data subject may use (Art. 15–22, and the Finnish marketing prohibition). */
export const RIGHTS = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'portability',
  'objection',
  'consent_withdrawal',
  'marketing_prohibition',
] as const;
export type Right = (typeof RIGHTS)[number];

/** What a request is: one right used, or the lifting of a restriction (Art. 18(3)). */
export const REQUEST_TYPES = [
  'access',
  'rectification',
  'erasure',
  'restriction',
  'restriction_lift',
  'portability',
  'objection',
  'consent_withdrawal',
  'marketing_prohibition',
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

/** How a request may reach the controller. */
export const REQUEST_CHANNELS = ['portal', 'email', 'postal', 'in_person', 'phone'] as const;
export type RequestChannel = (typeof REQUEST_CHANNELS)[number];

/**
 * How a person proves who they are: a single-use link mailed to the address held, a signed
 * letter, a photo identity document checked by staff, strong electronic identification.
 */
export const IDENTITY_PROOFS = ['email_link', 'signed_letter', 'photo_id', 'strong_eid'] as const;
export type IdentityProof = (typeof IDENTITY_PROOFS)[number];

const postalAddress = address.extend({
  /** A name or department the letter is addressed to ("Tietosuoja / Privacy"). */
  recipient: z.string().min(1).optional(),
});

const requestChannel = z.strictObject({
  kind: z.enum(REQUEST_CHANNELS),
  /** For `email`: the address requests are sent to. */
  email: z.email().optional(),
  /** For `postal` and `in_person`: where; the controller's own address when left out. */
  address: postalAddress.optional(),
  /** For `phone`: the number to call. */
  phone: z.string().min(1).optional(),
  /** Any one of these proves the person's identity for a request that came this way. */
  proof: z.array(z.enum(IDENTITY_PROOFS)).min(1),
  /** Opening hours, what to bring, what to write in the letter. */
  instructions: localized.optional(),
});

const rights = z.strictObject({
  /** The rights the register offers, each with any qualification the notice states. */
  offered: z
    .array(
      z.strictObject({
        right: z.enum(RIGHTS),
        /** For example "erasure does not cover bookkeeping records". */
        qualification: localized.optional(),
      }),
    )
    .min(1),
  /** The ways a request may be made, and for each the identity proof it needs. */
  channels: z.array(requestChannel),
  /**
   * Request types that need stronger proof than their channel's: one of these proofs must be
   * recorded before the request may go on, whatever channel it came by.
   */
  stronger: z
    .array(
      z.strictObject({
        type: z.enum(REQUEST_TYPES),
        proof: z.array(z.enum(IDENTITY_PROOFS)).min(1),
      }),
    )
    .default([]),
});
export type RightsDefinition = z.infer<typeof rights>;

export const STAFF_ACTIONS = [
  'manage_staff',
  'manage_definition',
  'handle_requests',
  'export_audiences',
  'read_audit',
] as const;
export type StaffAction = (typeof STAFF_ACTIONS)[number];

/** A staff role: the purposes it may read and write under, and what else it may do. */
const role = z.strictObject({
  id,
  label: localized,
  /** Purpose ids, or `*` for all. */
  read: z.array(z.string().min(1)).default([]),
  write: z.array(z.string().min(1)).default([]),
  actions: z.array(z.enum(STAFF_ACTIONS)).default([]),
});
export type RoleDefinition = z.infer<typeof role>;

export const definitionSchema = z
  .strictObject({
    version: z.literal(1),
    /**
     * The languages the register publishes its notice in, the first its main one. Texts are
     * required in these only; the others are filled from the first. Default: sv, fi, en.
     */
    languages: z
      .array(z.enum(LANGUAGES))
      .min(1)
      .refine((l) => new Set(l).size === l.length, 'a language is listed twice')
      .default([...LANGUAGES]),
    /** The privacy notice's own metadata. */
    notice: notice.optional(),
    controller: z.strictObject({
      name: z.string().min(1),
      businessId: z.string().min(1),
      /** The VAT identification number (FI31415926), where the notice gives one. */
      vatId: z.string().min(1).optional(),
      address,
      /** Optional: a notice may give only an e-mail address (Art. 13(1)(a) asks for contact details). */
      phone: z.string().min(1).optional(),
      email: z.email(),
      website: webAddress.optional(),
      contact: contactPerson,
      /**
       * The data protection officer, published with their contact details (Art. 13(1)(b)); `none`
       * where none is appointed (the notice says so); `unknown` (or left out) where the notice the
       * register was made from does not say: `check` warns.
       */
      dpo: z
        .union([z.enum(['none', UNKNOWN]), reachablePerson('the data protection officer')], {
          error: 'expected none, unknown, or the officer with name and e-mail or phone',
        })
        .optional(),
      /** The representative in the Union of a controller outside it (Art. 27), published too. */
      representative: reachablePerson('the representative').optional(),
      /** The last day of the financial year, MM-DD; legal holds count from it (default 12-31). */
      financialYearEnd: financialYearEnd.default('12-31'),
    }),
    register: z.strictObject({
      name: localized,
      /** The controller also processes its customers' registers on their behalf (Art. 28). */
      processorFor: localized.optional(),
      subjectGroups: z.array(z.strictObject({ id, label: localized })).min(1),
    }),
    /** Country code whose trunk prefix `0` local phone numbers are normalised with. */
    defaultCountryCallingCode: z
      .string()
      .regex(/^\+\d{1,3}$/, 'expected a calling code such as +358')
      .default('+358'),
    categories: z.array(category).min(1),
    sources: z.array(source).min(1),
    purposes: z.array(purpose).min(1),
    recipients: z.array(recipient).default([]),
    /** When data are disclosed beyond the recipients, and on what condition (Art. 13(1)(e)). */
    disclosures: z.array(disclosure).default([]),
    transfers: z.array(transfer).default([]),
    retention: z.strictObject({
      rules: z.array(retentionRule).min(1),
      legalHolds: z.array(legalHold).default([]),
    }),
    /**
     * Decisions based solely on automated processing, profiling included (Art. 22): `none`, each
     * one described, or `unknown` where the notice does not say (left out: the same, and `check`
     * warns, Art. 13(2)(f), 14(2)(g)).
     */
    automatedDecisions: z
      .union(
        [
          z.enum(['none', UNKNOWN]),
          z.array(automatedDecision).min(1, 'list at least one decision, or say none'),
        ],
        {
          error: 'expected none, unknown, or a list of decisions',
        },
      )
      .optional(),
    security: z.array(localized).default([]),
    /** Staff roles; when left out, the five default roles are derived from the purposes. */
    roles: z.array(role).optional(),
    cookies: z.array(cookie).default([]),
    /** The channels and permission kinds of marketing; see docs/permissions.md. */
    marketing: z
      .strictObject({
        channels: z.array(marketingChannel).default([]),
        kinds: z.array(permissionKind).default([]),
      })
      .optional(),
    supervisoryAuthority: supervisoryAuthority.default(DEFAULT_AUTHORITY),
    /** How people use their rights: which apply, and how a request is made and proven. */
    rights,
  })
  .superRefine((def, ctx) => {
    forEachLocalized(definitionShape(), def, [], (text, path) => {
      for (const lang of def.languages) {
        if (text[lang] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, lang],
            message: `the ${lang} text is missing: the register publishes in ${def.languages.join(', ')} (languages)`,
            // The loader checks the rest of a definition whose only fault is a missing text.
            params: { quotesValue: true, missingText: true },
          });
        }
      }
    });
  });

/** The schema the localized texts are found by (the object, before its refinements). */
const definitionShape = () => definitionSchema as unknown as z.core.$ZodType;

type Walkable = z.core.$ZodType;
type WalkDef = { type: string } & Record<string, unknown>;

/**
 * Calls `visit` with every localized text in `value` (a parsed definition or part of it), found
 * by walking the schema beside the value, with its path.
 */
export function forEachLocalized(
  schema: Walkable,
  value: unknown,
  path: PropertyKey[],
  visit: (text: Partial<Localized>, path: PropertyKey[]) => void,
): void {
  if (value === undefined || value === null) {
    return;
  }
  if (schema === (localizedText as unknown as Walkable)) {
    if (typeof value === 'object' && !Array.isArray(value)) {
      visit(value, path);
    }
    return;
  }
  const def = schema._zod.def as unknown as WalkDef;
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'nonoptional':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      forEachLocalized(def.innerType as Walkable, value, path, visit);
      return;
    case 'pipe':
      forEachLocalized(def.in as Walkable, value, path, visit);
      return;
    case 'union':
      for (const option of def.options as Walkable[]) {
        forEachLocalized(option, value, path, visit);
      }
      return;
    case 'object':
      if (typeof value === 'object' && !Array.isArray(value)) {
        for (const [key, child] of Object.entries(def.shape as Record<string, Walkable>)) {
          forEachLocalized(child, (value as Record<string, unknown>)[key], [...path, key], visit);
        }
      }
      return;
    case 'array':
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          forEachLocalized(def.element as Walkable, item, [...path, i], visit);
        });
      }
      return;
    default:
      return;
  }
}

/**
 * Fills every text's undeclared languages from the first declared one, in place: renderers and
 * the API then always have all three, and publish only `definition.languages`.
 */
export function fillLanguages(def: RegisterDefinition): RegisterDefinition {
  const [first = 'fi'] = def.languages;
  forEachLocalized(definitionShape(), def, [], (text) => {
    const source = text[first] ?? LANGUAGES.map((l) => text[l]).find((t) => t !== undefined);
    if (source === undefined) {
      return;
    }
    for (const lang of LANGUAGES) {
      text[lang] ??= source;
    }
  });
  return def;
}

export type RegisterDefinition = z.infer<typeof definitionSchema>;

type ControllerDefinition = RegisterDefinition['controller'];
/** The data protection officer with their contact details, where one is named. */
export type DpoDefinition = Exclude<NonNullable<ControllerDefinition['dpo']>, string>;
export const appointedDpo = (c: ControllerDefinition): DpoDefinition | undefined =>
  typeof c.dpo === 'object' ? c.dpo : undefined;
export type RegisterDefinitionInput = z.input<typeof definitionSchema>;
