/**
 * The API client shared by the console and the portal: fetch with the session cookie, the CSRF
 * token on every state-changing request, and RFC 9457 problem details turned into ApiError.
 */

export type Localized = { sv: string; fi: string; en: string };

export interface Staff {
  id: string;
  username: string;
  displayName: string;
  role: string;
  totpEnabled: boolean;
  lockedUntil: string | null;
  disabledAt: string | null;
  createdAt: string;
  /** Signed in with a one-time password: a new one must be chosen before anything else. */
  mustChangePassword: boolean;
}

export interface Role {
  id: string;
  label: Localized;
  /** Purpose ids the role may read (`*` would mean all). */
  read: string[];
  write: string[];
  actions: string[];
}

/** What sign-in and the second factor answer. */
export interface Session {
  staff: Staff;
  csrfToken: string;
  mfaRequired: boolean;
}

/** The signed-in person, with their role. */
export interface Me extends Session {
  role: Role;
}

export interface FieldDefinition {
  id: string;
  type: string;
  label: Localized;
}

export interface CategoryDefinition {
  id: string;
  label: Localized;
  fields: FieldDefinition[];
}

export interface PurposeDefinition {
  id: string;
  label: Localized;
  description?: Localized;
  legalBasis: string;
  categories: string[];
  allowedDuringRestriction: boolean;
  retention?: string;
}

export interface RetentionRule {
  id: string;
  duration: string;
  from: string;
  label: Localized;
}

export interface Definition {
  version: string;
  controller: { name: string; businessId: string };
  name: Localized;
  categories: CategoryDefinition[];
  purposes: PurposeDefinition[];
  sources: Array<{ id: string; kind: string; label: Localized }>;
  retentionRules?: RetentionRule[];
}

export interface StoredValue {
  value: unknown;
  source: string;
  purpose: string;
  collectedAt: string;
}

export interface Subject {
  id: string;
  purpose: string;
  restricted: boolean;
  createdAt: string;
  updatedAt: string;
  categories: Record<string, Record<string, StoredValue>>;
}

export interface HistoryEntry {
  category: string;
  field: string;
  old: unknown;
  new: unknown;
  reason: string | null;
  purpose: string;
  source: string;
  actor: string;
  changedAt: string;
}

export interface AuditEntry {
  id: string;
  at: string;
  actorKind: string;
  actorId: string;
  actorName: string | null;
  role: string | null;
  purpose: string | null;
  subjectId: string | null;
  action: string;
  categories: string[];
  fields: string[];
  outcome: string;
  requestId: string | null;
  sealed: boolean;
}

export interface AuditVerification {
  ok: boolean;
  checked: number;
  unsealed: number;
  /** Chained entries from before events carried a MAC. */
  unauthenticated?: number;
  /** seq is null for an event never chained, eventId for a chain entry that is gone. */
  broken?: { seq: string | null; eventId: string | null; kind?: string; reason: string };
  /** Events never chained because the application did not write them. */
  forged?: string[];
  /** What the server's sealer has raised: shown as a banner. */
  alarms?: AuditAlarm[];
}

export interface AuditAlarm {
  kind: 'forged' | 'truncated' | 'missing' | 'replaced';
  at: string;
  seq: string | null;
  eventId: string | null;
  message: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ field: string; detail: string }>;
}

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

type Query = Record<string, string | number | undefined | null>;

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
      if (v !== undefined && v !== null && v !== '') {
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
          : { title: res.statusText || 'Error', status: res.status };
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
          body: { username, password },
          quiet401: true,
        }),
      );
    },
    async mfa(code: string): Promise<Session> {
      return remember(
        await request<Session>('POST', '/auth/mfa', { body: { code }, quiet401: true }),
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
      request<void>('POST', '/auth/password', { body: { current, next }, quiet401: true }),
    setupTotp: (password: string) =>
      request<{ secret: string; otpauthUrl: string }>('POST', '/auth/totp/setup', {
        body: { password },
        quiet401: true,
      }),
    enableTotp: (code: string) =>
      request<{ recoveryCodes: string[] }>('POST', '/auth/totp/enable', {
        body: { code },
        quiet401: true,
      }),

    definition: () => request<Definition>('GET', '/definition'),
    roles: () => request<{ items: Role[] }>('GET', '/roles'),

    findSubjects: (query: {
      purpose: string;
      email?: string;
      phone?: string;
      q?: string;
      cursor?: string | null;
      limit?: number;
    }) => request<{ items: Subject[]; nextCursor: string | null }>('GET', '/subjects', { query }),
    getSubject: (id: string, purpose: string) =>
      request<Subject>('GET', `/subjects/${encodeURIComponent(id)}`, { query: { purpose } }),
    getHistory: (id: string, purpose: string) =>
      request<{ items: HistoryEntry[] }>('GET', `/subjects/${encodeURIComponent(id)}/history`, {
        query: { purpose },
      }),

    auditLog: (query: { before?: string | null; limit?: number; subjectId?: string }) =>
      request<{ items: AuditEntry[]; nextBefore: string | null }>('GET', '/audit', { query }),
    verifyAudit: () => request<AuditVerification>('GET', '/audit/verify'),

    listStaff: () => request<{ items: Staff[] }>('GET', '/staff'),
    createStaff: (input: { username: string; displayName: string; role: string }) =>
      request<{ staff: Staff; password: string }>('POST', '/staff', { body: input }),
    updateStaff: (id: string, patch: { role?: string; displayName?: string; disabled?: boolean }) =>
      request<Staff>('PATCH', `/staff/${encodeURIComponent(id)}`, { body: patch }),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;
