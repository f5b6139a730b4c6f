/**
 * Sign-in, sessions and staff management for the console, under /api/v1.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  actorOf,
  authenticate,
  sessionToken,
  setSessionCookie,
  STAFF_SESSION_COOKIE,
} from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import { rateLimit } from '../../http/rate-limit/index.ts';
import { AppError } from '../../lib/errors.ts';
import type { ApiKeysService } from '../apikeys/index.ts';
import { STAFF_LANGS, type StaffService } from './staff.service.ts';

const localized = z.object({ sv: z.string(), fi: z.string(), en: z.string() });
const staffView = z
  .object({
    id: z.uuid(),
    username: z.string(),
    displayName: z.string(),
    role: z.string(),
    totpEnabled: z.boolean(),
    lockedUntil: z.string().nullable(),
    disabledAt: z.string().nullable(),
    createdAt: z.string(),
    mustChangePassword: z
      .boolean()
      .describe('Signed in with a one-time password: POST /auth/password before anything else'),
    email: z
      .string()
      .nullable()
      .describe('Where the daily digest of requests due goes, for a member who handles requests'),
    lang: z.enum(STAFF_LANGS).nullable().describe('The language mail to the member is written in'),
  })
  .meta({ id: 'Staff' });
const roleView = z
  .object({
    id: z.string(),
    label: localized,
    read: z.array(z.string()),
    write: z.array(z.string()),
    actions: z.array(z.string()),
  })
  .meta({ id: 'Role' });
const sessionView = z.object({ staff: staffView, csrfToken: z.string(), mfaRequired: z.boolean() });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

export function staffRoutes(
  app: FastifyInstance,
  deps: { staff: StaffService; apiKeys: ApiKeysService },
): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { staff } = deps;
  const signedIn = authenticate(deps.apiKeys, staff);
  // Completing sign-in, asking who is signed in and signing out are open before the second
  // factor and before a one-time password is replaced; changing the password only after both.
  // These routes are about one's own session and account: a staff session only, never an API key.
  const pendingMfa = authenticate(deps.apiKeys, staff, {
    allowPendingMfa: true,
    allowPasswordChange: true,
    sessionOnly: true,
  });
  const changingPassword = authenticate(deps.apiKeys, staff, {
    allowPasswordChange: true,
    sessionOnly: true,
  });
  const ownAccount = authenticate(deps.apiKeys, staff, { sessionOnly: true });
  const tags = ['staff'];
  /** Routes about one's own session and account: for a signed-in staff member. */
  const security = [{ session: [] }];
  /** Staff management: a staff session, or an API key with the manage_staff action. */
  const sessionOrKey: Array<Record<string, string[]>> = [{ session: [] }, { bearer: [] }];
  const setStaffCookie = setSessionCookie.bind(null, STAFF_SESSION_COOKIE);

  r.post('/auth/login', {
    schema: {
      operationId: 'signIn',
      security: [],
      tags,
      summary:
        'Sign in with username and password; a second step follows when two-factor sign-in is on',
      body: z
        .object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) })
        .strict(),
      response: {
        200: sessionView,
        401: problemSchema,
        423: problemSchema,
        429: problemSchema,
        400: problemSchema,
      },
    },
    config: { rateLimit: rateLimit('sign-in') },
    handler: async (req, reply) => {
      const result = await staff.login({
        ...req.body,
        requestId: req.id,
        previousSession: sessionToken(STAFF_SESSION_COOKIE, req),
      });
      setStaffCookie(req, reply, result.sessionToken);
      return { staff: result.staff, csrfToken: result.csrfToken, mfaRequired: result.mfaRequired };
    },
  });

  r.post('/auth/mfa', {
    schema: {
      operationId: 'verifySecondFactor',
      // The session cookie of the first step, whose second factor is still pending.
      security,
      tags,
      summary:
        'Second step of sign-in: a code from the authenticator app, or a recovery code; sent with the session cookie the first step set',
      body: z.object({ code: z.string().min(6).max(20) }).strict(),
      response: { 200: sessionView, ...errors, 423: problemSchema, 429: problemSchema },
    },
    onRequest: pendingMfa,
    config: { rateLimit: rateLimit('sign-in') },
    handler: async (req, reply) => {
      const token = req.session?.token ?? '';
      const result = await staff.completeMfa(token, req.body.code, req.id);
      setStaffCookie(req, reply, result.sessionToken);
      return { staff: result.staff, csrfToken: result.csrfToken, mfaRequired: false };
    },
  });

  r.get('/auth/me', {
    schema: {
      operationId: 'getSession',
      tags,
      security,
      summary: 'The signed-in staff member, their role and CSRF token',
      response: { 200: sessionView.extend({ role: roleView }), 401: problemSchema },
    },
    onRequest: pendingMfa,
    handler: (req) => {
      const session = req.session;
      if (!session) {
        throw new AppError('unauthenticated', 'this is for a signed-in staff member');
      }
      const role = staff.roles(session.actor).find((x) => x.id === session.staff.role);
      return {
        staff: session.staff,
        csrfToken: session.csrfToken,
        mfaRequired: !session.mfaPassed,
        role: role ?? {
          id: session.staff.role,
          label: { sv: '', fi: '', en: '' },
          read: [],
          write: [],
          actions: [],
        },
      };
    },
  });

  r.post('/auth/logout', {
    schema: {
      operationId: 'signOut',
      tags,
      security,
      summary: 'Sign out',
      response: { 204: z.null(), 401: problemSchema, 403: problemSchema },
    },
    onRequest: pendingMfa,
    handler: async (req, reply) => {
      await staff.logout(actorOf(req), req.session?.token ?? '');
      setStaffCookie(req, reply, null);
      return reply.code(204).send(null);
    },
  });

  r.post('/auth/password', {
    schema: {
      operationId: 'changePassword',
      tags,
      security,
      summary:
        'Change your password (at least 12 characters, not a common one); other sessions end',
      body: z
        .object({ current: z.string().min(1).max(256), next: z.string().min(1).max(1000) })
        .strict(),
      response: { 204: z.null(), ...errors, 429: problemSchema },
    },
    onRequest: changingPassword,
    config: { rateLimit: rateLimit('password') },
    handler: async (req, reply) => {
      await staff.changePassword(actorOf(req), req.session?.token ?? '', req.body);
      return reply.code(204).send(null);
    },
  });

  r.post('/auth/totp/setup', {
    schema: {
      operationId: 'startTotpEnrolment',
      tags,
      security,
      summary: 'Start two-factor enrolment: a new secret for an authenticator app',
      body: z.object({ password: z.string().min(1).max(256) }).strict(),
      response: {
        200: z.object({ secret: z.string(), otpauthUrl: z.string() }),
        ...errors,
        409: problemSchema,
      },
    },
    onRequest: ownAccount,
    handler: async (req) => staff.setupTotp(actorOf(req), req.body.password),
  });

  r.post('/auth/totp/enable', {
    schema: {
      operationId: 'enableTotp',
      tags,
      security,
      summary: 'Confirm enrolment with a code; returns ten one-time recovery codes, shown once',
      body: z.object({ code: z.string().min(6).max(10) }).strict(),
      response: {
        200: z.object({ recoveryCodes: z.array(z.string()) }),
        ...errors,
        409: problemSchema,
      },
    },
    onRequest: ownAccount,
    handler: async (req) => staff.enableTotp(actorOf(req), req.body.code),
  });

  r.get('/roles', {
    schema: {
      operationId: 'listRoles',
      tags,
      security: sessionOrKey,
      summary: 'Staff roles and what each may do',
      response: { 200: z.object({ items: z.array(roleView) }), ...errors },
    },
    onRequest: signedIn,
    handler: (req) => ({
      items: staff
        .roles(actorOf(req))
        .map((x) => ({ ...x, read: [...x.read], write: [...x.write], actions: [...x.actions] })),
    }),
  });

  r.get('/staff', {
    schema: {
      operationId: 'listStaff',
      tags,
      security: sessionOrKey,
      summary: 'Staff accounts (role manage_staff)',
      response: { 200: z.object({ items: z.array(staffView) }), ...errors },
    },
    onRequest: signedIn,
    handler: async (req) => ({ items: await staff.listStaff(actorOf(req)) }),
  });

  r.post('/staff', {
    schema: {
      operationId: 'createStaff',
      tags,
      security: sessionOrKey,
      summary: 'Create a staff account; its one-time password is returned once',
      body: z
        .object({
          username: z.string().min(1).max(64),
          displayName: z.string().min(1).max(200),
          role: z.string().min(1).max(64),
          email: z.string().max(254).optional(),
          lang: z.enum(STAFF_LANGS).optional(),
        })
        .strict(),
      response: {
        201: z.object({ staff: staffView, password: z.string() }),
        ...errors,
        409: problemSchema,
      },
    },
    onRequest: signedIn,
    handler: async (req, reply) =>
      reply.code(201).send(await staff.createStaff(actorOf(req), req.body)),
  });

  r.patch('/staff/:id', {
    schema: {
      operationId: 'updateStaff',
      tags,
      security: sessionOrKey,
      summary: 'Change a staff member’s role or name, or disable the account',
      params: z.object({ id: z.uuid() }),
      body: z
        .object({
          role: z.string().min(1).max(64).optional(),
          displayName: z.string().min(1).max(200).optional(),
          disabled: z.boolean().optional(),
          email: z.string().max(254).nullable().optional().describe('null or empty: none'),
          lang: z.enum(STAFF_LANGS).nullable().optional(),
        })
        .strict(),
      response: { 200: staffView, ...errors },
    },
    onRequest: signedIn,
    handler: async (req) => staff.updateStaff(actorOf(req), req.params.id, req.body),
  });
}
