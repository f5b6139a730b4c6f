/**
 * The API client shared by the console and the portal: fetch with the session cookie, the CSRF
 * token on every state-changing request, and RFC 9457 problem details turned into ApiError.
 */

import type { components, operations } from './api-types.ts';

/*
 * The API's own types, generated from /api/openapi.json into api-types.ts (`npm run gen:api`;
 * CI's `npm run check:api` fails when they are stale). Only names for the console's and the
 * portal's convenience are given here; nothing is copied by hand.
 */
type Schemas = components['schemas'];
/** The JSON body of an operation's answer with the given status. */
type Answer<Op extends keyof operations, Status extends number = 200> = operations[Op] extends {
  responses: { [S in Status]: { content: { 'application/json': infer Body } } };
}
  ? Body
  : never;
/** The JSON body an operation accepts. */
type Body<Op extends keyof operations> = operations[Op] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;
/** An operation's query parameters. */
type QueryOf<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;
/** Optional parameters may also be given as null (left out of the query string). */
type Nullable<T> = { [K in keyof T]: undefined extends T[K] ? T[K] | null : T[K] };

export type Staff = Schemas['Staff'];
export type Role = Schemas['Role'];
export type Subject = Schemas['Subject'];
export type StoredValue = Schemas['StoredField'];
export type Problem = Schemas['Problem'];

/** What sign-in and the second factor answer. */
export type Session = Answer<'signIn'>;
/** The signed-in person, with their role. */
export type Me = Answer<'getSession'>;

export type Definition = Answer<'getDefinition'>;
export type Localized = Definition['name'];
export type CategoryDefinition = Definition['categories'][number];
export type FieldDefinition = CategoryDefinition['fields'][number];
export type PurposeDefinition = Definition['purposes'][number];
export type RetentionRule = Definition['retentionRules'][number];

export type HistoryEntry = Answer<'getSubjectHistory'>['items'][number];
/** A person's marketing permissions: the current state and every change with its evidence. */
export type Permissions = Answer<'getSubjectPermissions'>;
export type PermissionState = Permissions['state'][number];
export type PermissionHistoryEntry = Permissions['history'][number];
export type AuditEntry = Answer<'listAccessLog'>['items'][number];
export type AuditVerification = Answer<'verifyAccessLog'>;
export type AuditAlarm = NonNullable<AuditVerification['alarms']>[number];
/** A mail in the outbox, opened for staff who handle requests. */
export type OutboxMail = Answer<'listOutbox'>['items'][number];
/** A campaign with its progress (docs/campaigns.md). */
export type Campaign = Schemas['Campaign'];
/** One person's campaign mail, and what staff did about it. */
export type CampaignSend = Schemas['CampaignSend'];
export type CampaignSendDetail = Schemas['CampaignSendDetail'];
/** What the next retention sweep would delete, in counts (docs/retention.md). */
export type RetentionPlan = Schemas['RetentionPlan'];
/** Anonymised statistics; a count is a number, `<5` (1 to 4) or `hidden`. */
export type Statistics = Schemas['Statistics'];
export type StatisticsCount = Schemas['StatisticsCount'];
/** What `rekisteri check` says about a definition: errors, warnings, transfers (docs/register-definition.md). */
export type DefinitionCheck = Schemas['DefinitionCheck'];
/** The notice's published versions, and whether the definition needs a new one (docs/notice.md). */
export type NoticeVersions = Schemas['NoticeVersions'];
export type NoticeChange = Schemas['NoticeChange'];
/** A run of telling people of a version by mail. */
export type NoticeAnnouncement = Schemas['NoticeAnnouncement'];

/* Data subjects' requests, for staff who handle them. */
/** A request as listed: no personal data. */
export type RequestSummary = Schemas['RequestSummary'];
/** A request in full, opened for those who handle requests. */
export type RequestView = Schemas['Request'];
export type RequestType = RequestSummary['type'];
export type RequestState = RequestSummary['state'];
export type RequestChannel = RequestSummary['channel'];
export type RequestLang = RequestSummary['lang'];
export type IdentityProof = RequestView['identity']['accepted'][number];
export type DocumentType = NonNullable<RequestView['identity']['documentType']>;
export type ToldHow = RequestView['recipients'][number]['how'];
export type RequestLetter = RequestView['letters'][number];
export type LetterHow = NonNullable<RequestLetter['sent']>['how'];
export type DeliveryHow = NonNullable<RequestView['delivery']>['how'];
export const DELIVERY_HOW = ['post', 'handed_over'] as const satisfies readonly DeliveryHow[];
export type RequestedChange = RequestView['changes'][number];
export type RequestIntake = Body<'submitRequest'>;
export type RequestCompletion = NonNullable<Body<'completeRequest'>>;
export type RequestFilter = Nullable<Omit<QueryOf<'listRequests'>, 'state'>> & {
  /** Open requests when left out. */
  state?: readonly RequestState[] | null;
};
export const REQUEST_STATES = [
  'received',
  'identity_pending',
  'in_progress',
  'completed',
  'refused',
  'cancelled',
] as const satisfies readonly RequestState[];
export const DOCUMENT_TYPES = [
  'passport',
  'id_card',
  'driving_licence',
  'residence_permit',
  'other',
] as const satisfies readonly DocumentType[];
export const LETTER_HOW = ['post', 'handed_over', 'phone'] as const satisfies readonly LetterHow[];
export const TOLD_HOW = [
  'email',
  'letter',
  'api',
  'phone',
  'other',
] as const satisfies readonly ToldHow[];
/** What the portal's request form sends (POST /portal/requests). */
export type PortalRequestInput = Body<'submitPortalRequest'>;
/** What a verified request answers: its type, state and due date, nothing about the person. */
export type PortalVerified = Answer<'verifyPortalRequest'>;

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
    this.status = problem.status;
    this.problem = problem;
  }

  /** The server's word on one input field, if it named it. */
  fieldError(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field)?.detail;
  }
}

/** A network failure or a server that did not answer with JSON. */
export class NetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

type Query = Record<string, string | number | readonly string[] | undefined | null>;

const STATE_CHANGING = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

export function createApiClient(base = '/api/v1') {
  let csrfToken: string | null = null;
  let onUnauthenticated: (() => void) | null = null;

  async function request<T>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    opts: { query?: Query; body?: unknown; quiet401?: boolean } = {},
  ): Promise<T> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (Array.isArray(v)) {
        // A repeated parameter: ?state=a&state=b.
        for (const item of v as readonly string[]) {
          params.append(k, item);
        }
      } else if (v !== undefined && v !== null && v !== '') {
        params.set(k, String(v));
      }
    }
    const qs = params.toString();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
    }
    if (STATE_CHANGING.has(method) && csrfToken) {
      headers['x-csrf-token'] = csrfToken;
    }
    let res: Response;
    try {
      res = await fetch(`${base}${path}${qs ? `?${qs}` : ''}`, {
        method,
        headers,
        credentials: 'same-origin',
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (e) {
      throw new NetworkError(e instanceof Error ? e.message : String(e));
    }
    if (res.status === 204) {
      return undefined as T;
    }
    const type = res.headers.get('content-type') ?? '';
    const json = type.includes('json') ? ((await res.json()) as unknown) : null;
    if (!res.ok) {
      const problem: Problem =
        json && typeof json === 'object' && 'status' in json
          ? (json as Problem)
          : { type: 'about:blank', title: res.statusText || 'Error', status: res.status };
      if (res.status === 401 && !opts.quiet401) {
        onUnauthenticated?.();
      }
      throw new ApiError(problem);
    }
    if (json === null) {
      throw new NetworkError(`unexpected response (${res.status} ${type || 'no content type'})`);
    }
    return json as T;
  }

  const remember = <S extends { csrfToken: string }>(s: S): S => {
    csrfToken = s.csrfToken;
    return s;
  };

  return {
    /** Called when any request (other than sign-in and session probes) gets 401. */
    setOnUnauthenticated(fn: (() => void) | null) {
      onUnauthenticated = fn;
    },

    /** The current session, or null when nobody is signed in. */
    async me(): Promise<Me | null> {
      try {
        return remember(await request<Me>('GET', '/auth/me', { quiet401: true }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          csrfToken = null;
          return null;
        }
        throw e;
      }
    },
    async login(username: string, password: string): Promise<Session> {
      return remember(
        await request<Session>('POST', '/auth/login', {
          body: { username, password } satisfies Body<'signIn'>,
          quiet401: true,
        }),
      );
    },
    async mfa(code: string): Promise<Session> {
      return remember(
        await request<Answer<'verifySecondFactor'>>('POST', '/auth/mfa', {
          body: { code } satisfies Body<'verifySecondFactor'>,
          quiet401: true,
        }),
      );
    },
    async logout(): Promise<void> {
      try {
        await request<void>('POST', '/auth/logout', { quiet401: true });
      } finally {
        csrfToken = null;
      }
    },
    // A wrong password or code answers 401 here too: shown on the form, not taken as sign-out.
    changePassword: (current: string, next: string) =>
      request<void>('POST', '/auth/password', {
        body: { current, next } satisfies Body<'changePassword'>,
        quiet401: true,
      }),
    setupTotp: (password: string) =>
      request<Answer<'startTotpEnrolment'>>('POST', '/auth/totp/setup', {
        body: { password } satisfies Body<'startTotpEnrolment'>,
        quiet401: true,
      }),
    enableTotp: (code: string) =>
      request<Answer<'enableTotp'>>('POST', '/auth/totp/enable', {
        body: { code } satisfies Body<'enableTotp'>,
        quiet401: true,
      }),

    definition: () => request<Definition>('GET', '/definition'),
    roles: () => request<Answer<'listRoles'>>('GET', '/roles'),

    findSubjects: (query: Nullable<QueryOf<'findSubjects'>>) =>
      request<Answer<'findSubjects'>>('GET', '/subjects', { query }),
    getSubject: (id: string, purpose: string) =>
      request<Answer<'readSubject'>>('GET', `/subjects/${encodeURIComponent(id)}`, {
        query: { purpose } satisfies QueryOf<'readSubject'>,
      }),
    getHistory: (id: string, purpose: string) =>
      request<Answer<'getSubjectHistory'>>('GET', `/subjects/${encodeURIComponent(id)}/history`, {
        query: { purpose } satisfies QueryOf<'getSubjectHistory'>,
      }),

    getPermissions: (id: string) =>
      request<Permissions>('GET', `/subjects/${encodeURIComponent(id)}/permissions`),

    auditLog: (query: Nullable<QueryOf<'listAccessLog'>>) =>
      request<Answer<'listAccessLog'>>('GET', '/audit', { query }),
    verifyAudit: () => request<AuditVerification>('GET', '/audit/verify'),
    /** The mail waiting for delivery, oldest first; each call is recorded in the access log. */
    listOutbox: (limit?: number) =>
      request<Answer<'listOutbox'>>('GET', '/outbox', { query: { limit } }),

    /** Checks the running definition, or a draft's YAML text, as `rekisteri check` does. */
    checkDefinition: (text?: string) =>
      request<DefinitionCheck>('POST', '/definition/check', {
        body: (text === undefined ? {} : { text }) satisfies Body<'checkDefinition'>,
      }),
    /** What the next retention sweep would delete, and why (counts only). */
    retentionDue: () => request<RetentionPlan>('GET', '/retention/due'),
    /** The anonymised statistics, every group under 5 suppressed. */
    statistics: () => request<Statistics>('GET', '/statistics'),
    /** The same statistics as a CSV file to save. */
    async statisticsCsv(): Promise<{ blob: Blob; filename: string }> {
      let res: Response;
      try {
        res = await fetch(`${base}/statistics.csv`, {
          headers: { accept: 'text/csv' },
          credentials: 'same-origin',
        });
      } catch (e) {
        throw new NetworkError(e instanceof Error ? e.message : String(e));
      }
      if (!res.ok) {
        const type = res.headers.get('content-type') ?? '';
        const json = type.includes('json') ? ((await res.json()) as unknown) : null;
        throw new ApiError(
          json && typeof json === 'object' && 'status' in json
            ? (json as Problem)
            : { type: 'about:blank', title: res.statusText || 'Error', status: res.status },
        );
      }
      const disposition = res.headers.get('content-disposition') ?? '';
      const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'statistics.csv';
      return { blob: await res.blob(), filename };
    },
    /** Ends the customer relationship with a person; rules from its end start counting. */
    endRelationship: (id: string, purpose: string) =>
      request<Answer<'endRelationship'>>(
        'POST',
        `/subjects/${encodeURIComponent(id)}/relationship/end`,
        { body: { purpose } },
      ),

    listRequests: (filter: RequestFilter = {}) =>
      request<Answer<'listRequests'>>('GET', '/requests', { query: { ...filter } }),
    getRequest: (id: string) =>
      request<Answer<'getRequest'>>('GET', `/requests/${encodeURIComponent(id)}`),
    submitRequest: (input: RequestIntake) =>
      request<Answer<'submitRequest', 201>>('POST', '/requests', { body: input }),
    proveIdentity: (id: string, body: Body<'proveRequestIdentity'>) =>
      request<Answer<'proveRequestIdentity'>>(
        'POST',
        `/requests/${encodeURIComponent(id)}/identity`,
        { body },
      ),
    linkRequestSubject: (id: string, subjectId: string) =>
      request<Answer<'linkRequestSubject'>>('POST', `/requests/${encodeURIComponent(id)}/subject`, {
        body: { subjectId } satisfies Body<'linkRequestSubject'>,
      }),
    extendRequest: (id: string, body: Body<'extendRequest'>) =>
      request<Answer<'extendRequest'>>('POST', `/requests/${encodeURIComponent(id)}/extend`, {
        body,
      }),
    refuseRequest: (id: string, body: Body<'refuseRequest'>) =>
      request<Answer<'refuseRequest'>>('POST', `/requests/${encodeURIComponent(id)}/refuse`, {
        body,
      }),
    cancelRequest: (id: string, body: Body<'cancelRequest'>) =>
      request<Answer<'cancelRequest'>>('POST', `/requests/${encodeURIComponent(id)}/cancel`, {
        body,
      }),
    completeRequest: (id: string, body: RequestCompletion) =>
      request<Answer<'completeRequest'>>('POST', `/requests/${encodeURIComponent(id)}/complete`, {
        body,
      }),
    recordRecipientTold: (id: string, recipientId: string, body: Body<'recordRecipientTold'>) =>
      request<Answer<'recordRecipientTold'>>(
        'POST',
        `/requests/${encodeURIComponent(id)}/recipients/${encodeURIComponent(recipientId)}`,
        { body },
      ),
    markRequestLetterSent: (id: string, letterId: string, body: Body<'markRequestLetterSent'>) =>
      request<Answer<'markRequestLetterSent'>>(
        'POST',
        `/requests/${encodeURIComponent(id)}/letters/${encodeURIComponent(letterId)}/sent`,
        { body },
      ),
    recordRequestDelivery: (id: string, body: Body<'recordRequestDelivery'>) =>
      request<Answer<'recordRequestDelivery'>>(
        'POST',
        `/requests/${encodeURIComponent(id)}/delivery`,
        { body },
      ),
    correctRequestContact: (id: string, body: Body<'correctRequestContact'>) =>
      request<Answer<'correctRequestContact'>>(
        'POST',
        `/requests/${encodeURIComponent(id)}/contact`,
        {
          body,
        },
      ),
    /** The access copy to print for a request without e-mail (ZIP or PDF), as a file to save. */
    async getRequestPackage(
      id: string,
      format: 'zip' | 'pdf',
    ): Promise<{ blob: Blob; filename: string }> {
      let res: Response;
      try {
        res = await fetch(`${base}/requests/${encodeURIComponent(id)}/package?format=${format}`, {
          headers: { accept: `application/${format}` },
          credentials: 'same-origin',
        });
      } catch (e) {
        throw new NetworkError(e instanceof Error ? e.message : String(e));
      }
      if (!res.ok) {
        const type = res.headers.get('content-type') ?? '';
        const json = type.includes('json') ? ((await res.json()) as unknown) : null;
        throw new ApiError(
          json && typeof json === 'object' && 'status' in json
            ? (json as Problem)
            : { type: 'about:blank', title: res.statusText || 'Error', status: res.status },
        );
      }
      const disposition = res.headers.get('content-disposition') ?? '';
      const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `access-copy.${format}`;
      return { blob: await res.blob(), filename };
    },
    /** The portal: a new request; always answers the same, whoever the address belongs to. */
    submitPortalRequest: (input: PortalRequestInput) =>
      request<Answer<'submitPortalRequest', 202>>('POST', '/portal/requests', { body: input }),
    /** The portal: the token from the mailed link's fragment proves the address. */
    verifyPortalRequest: (token: string) =>
      request<PortalVerified>('POST', '/portal/verify', {
        body: { token } satisfies Body<'verifyPortalRequest'>,
      }),
    /** The portal: every kind of marketing and channel a person may choose, with labels. */
    preferenceChoices: () =>
      request<Answer<'listPreferenceChoices'>>('GET', '/portal/preferences/choices'),
    /** The portal: mails a link to the preference page; the same answer for every address. */
    requestPreferenceLink: (input: Body<'requestPreferenceLink'>) =>
      request<Answer<'requestPreferenceLink', 202>>('POST', '/portal/preferences/links', {
        body: input,
      }),
    /** The portal: the preference link's token (once) opens a short person session. */
    openPreferenceSession: (token: string) =>
      request<Answer<'openPreferenceSession'>>('POST', '/portal/preferences/session', {
        body: { token } satisfies Body<'openPreferenceSession'>,
      }),
    /** The portal: ends the person session. */
    closePreferenceSession: () =>
      request<undefined>('DELETE', '/portal/preferences/session', { quiet401: true }),
    /** The portal: the person's choices, in their session. */
    preferences: () =>
      request<Answer<'getPreferences'>>('GET', '/portal/preferences', { quiet401: true }),
    /** The portal: changes the person's choices at once. */
    setPreferences: (input: Body<'setPreferences'>) =>
      request<Answer<'setPreferences'>>('PUT', '/portal/preferences', {
        body: input,
        quiet401: true,
      }),
    /** The portal: a double opt-in sign-up; the same answer for every address. */
    signUp: (input: Body<'signUp'>) =>
      request<Answer<'signUp', 202>>('POST', '/portal/signups', { body: input }),
    /** The portal: the sign-up's confirmation link (once) grants what was asked. */
    confirmSignUp: (token: string) =>
      request<Answer<'confirmSignUp'>>('POST', '/portal/signups/confirm', {
        body: { token } satisfies Body<'confirmSignUp'>,
      }),
    /** The portal: mails a fresh download link when the request's copy is ready for the address. */
    requestDownloadLink: (input: Body<'requestDownloadLink'>) =>
      request<Answer<'requestDownloadLink', 202>>('POST', '/portal/download-links', {
        body: input,
      }),
    /** The portal: the access copy (a ZIP) the token from the mailed link opens, once. */
    async downloadAccessCopy(token: string): Promise<{ blob: Blob; filename: string }> {
      let res: Response;
      try {
        res = await fetch(`${base}/portal/downloads`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/zip' },
          credentials: 'same-origin',
          body: JSON.stringify({ token } satisfies Body<'downloadAccessCopy'>),
        });
      } catch (e) {
        throw new NetworkError(e instanceof Error ? e.message : String(e));
      }
      if (!res.ok) {
        const type = res.headers.get('content-type') ?? '';
        const json = type.includes('json') ? ((await res.json()) as unknown) : null;
        throw new ApiError(
          json && typeof json === 'object' && 'status' in json
            ? (json as Problem)
            : { type: 'about:blank', title: res.statusText || 'Error', status: res.status },
        );
      }
      const disposition = res.headers.get('content-disposition') ?? '';
      const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'access-copy.zip';
      return { blob: await res.blob(), filename };
    },

    /* The privacy notice's versions (docs/notice.md). */
    noticeVersions: () => request<NoticeVersions>('GET', '/notice/versions'),
    noticeDiff: (from: number, to?: number) =>
      request<Answer<'diffNoticeVersions'>>('GET', '/notice/versions/diff', {
        query: { from, to } satisfies QueryOf<'diffNoticeVersions'>,
      }),
    publishNotice: (date?: string) =>
      request<Answer<'publishNoticeVersion', 201>>('POST', '/notice/versions', {
        body: (date ? { date } : {}) satisfies Body<'publishNoticeVersion'>,
      }),
    announceNotice: (version: number) =>
      request<Answer<'announceNoticeVersion', 202>>(
        'POST',
        `/notice/versions/${encodeURIComponent(String(version))}/announce`,
        { body: {} },
      ),
    noticeAnnouncements: () =>
      request<Answer<'listNoticeAnnouncements'>>('GET', '/notice/announcements'),

    /* Audiences (docs/audiences.md): the size, and the CSV as a file to save. */
    listCampaigns: () => request<Answer<'listCampaigns'>>('GET', '/campaigns'),
    createCampaign: (input: Body<'createCampaign'>) =>
      request<Answer<'createCampaign', 201>>('POST', '/campaigns', { body: input }),
    countCampaign: (id: string) =>
      request<Answer<'countCampaign'>>('GET', `/campaigns/${encodeURIComponent(id)}/count`),
    controlCampaign: (id: string, action: 'start' | 'pause' | 'cancel') =>
      request<Answer<'startCampaign'>>('POST', `/campaigns/${encodeURIComponent(id)}/${action}`),
    /* What became of each person's mail, and staff's actions on one (docs/campaigns.md). */
    listCampaignSends: (id: string, state: CampaignSend['state']) =>
      request<Answer<'listCampaignSends'>>('GET', `/campaigns/${encodeURIComponent(id)}/sends`, {
        query: { state, limit: 100 } satisfies QueryOf<'listCampaignSends'>,
      }),
    resolveCampaignSend: (id: string, subjectId: string, body: Body<'resolveCampaignSend'>) =>
      request<Answer<'resolveCampaignSend'>>(
        'POST',
        `/campaigns/${encodeURIComponent(id)}/sends/${encodeURIComponent(subjectId)}/resolve`,
        { body },
      ),
    requeueCampaignSend: (id: string, subjectId: string, body: Body<'requeueCampaignSend'>) =>
      request<Answer<'requeueCampaignSend'>>(
        'POST',
        `/campaigns/${encodeURIComponent(id)}/sends/${encodeURIComponent(subjectId)}/requeue`,
        { body },
      ),
    liftCampaignBounce: (id: string, subjectId: string, body: Body<'liftCampaignBounce'>) =>
      request<Answer<'liftCampaignBounce'>>(
        'POST',
        `/campaigns/${encodeURIComponent(id)}/sends/${encodeURIComponent(subjectId)}/lift-bounce`,
        { body },
      ),
    lookupAddressListEntry: (list: string, body: Body<'lookupAddressListEntry'>) =>
      request<Answer<'lookupAddressListEntry'>>(
        'POST',
        `/interchange/address-lists/${encodeURIComponent(list)}/lookup`,
        { body },
      ),
    removeAddressListEntry: (list: string, body: Body<'removeAddressListEntry'>) =>
      request<Answer<'removeAddressListEntry'>>(
        'POST',
        `/interchange/address-lists/${encodeURIComponent(list)}/remove`,
        { body },
      ),
    countAudience: (input: Body<'countAudience'>) =>
      request<Answer<'countAudience'>>('POST', '/audiences/count', { body: input }),
    exportAudience: async (input: Body<'exportAudience'>) => {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'text/csv',
      };
      if (csrfToken) {
        headers['x-csrf-token'] = csrfToken;
      }
      let res: Response;
      try {
        res = await fetch(`${base}/audiences/export`, {
          method: 'POST',
          headers,
          credentials: 'same-origin',
          body: JSON.stringify(input),
        });
      } catch (e) {
        throw new NetworkError(e instanceof Error ? e.message : String(e));
      }
      if (!res.ok) {
        const type = res.headers.get('content-type') ?? '';
        const json = type.includes('json') ? ((await res.json()) as unknown) : null;
        throw new ApiError(
          json && typeof json === 'object' && 'status' in json
            ? (json as Problem)
            : { type: 'about:blank', title: res.statusText || 'Error', status: res.status },
        );
      }
      const disposition = res.headers.get('content-disposition') ?? '';
      const filename = /filename="([^"]+)"/.exec(disposition)?.[1] ?? 'audience.csv';
      return { blob: await res.blob(), filename };
    },

    listStaff: () => request<Answer<'listStaff'>>('GET', '/staff'),
    createStaff: (input: Body<'createStaff'>) =>
      request<Answer<'createStaff', 201>>('POST', '/staff', { body: input }),
    updateStaff: (id: string, patch: Body<'updateStaff'>) =>
      request<Answer<'updateStaff'>>('PATCH', `/staff/${encodeURIComponent(id)}`, {
        body: patch,
      }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
