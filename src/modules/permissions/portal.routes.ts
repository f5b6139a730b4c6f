/**
 * The person's own routes of the permission ledger (docs/permissions.md, "The portal"), without
 * sign-in:
 *
 * - under /api/v1/portal (JSON): the preference page's link request, the session its link opens,
 *   the page's state and changes (the `rk_person` cookie), the double opt-in sign-up and its
 *   confirmation;
 * - at the top level (`publicPermissionPages`): `GET`/`POST /u/<token>`, the one-click
 *   unsubscribe of RFC 8058 (form bodies), and `POST /signup`, the embeddable sign-up form's
 *   target (a form body, answered with a small HTML page).
 *
 * Each is limited per client address, and where it names an e-mail address per that address too
 * (an HMAC of it is the key). The link request and the sign-up answer the same whatever the
 * address.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  authenticatePersonSession,
  personSessionRefused,
  hashPersonSessionToken,
  PERSON_SESSION_COOKIE,
  sessionToken,
  setSessionCookie,
} from '../../http/auth/index.ts';
import { problemSchema } from '../../http/problem.ts';
import {
  limitEmail,
  rateLimit,
  registerRateLimits,
  type RateLimitCounter,
} from '../../http/rate-limit/index.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError } from '../../lib/errors.ts';
import { LOCALES, type Locale } from '../../mail/index.ts';
import { normaliseEmail } from '../../vault/normalise.ts';
import type { Vault } from '../../vault/vault.ts';
import { PERMISSION_STATES, WORDING_LANGUAGES } from './model.ts';
import {
  pageLocale,
  signupRefusedPage,
  signupSentPage,
  unsubscribeAskPage,
  unsubscribeDonePage,
  unsubscribeInvalidPage,
} from './portal.pages.ts';
import type { PreferencesService } from './portal.service.ts';

export interface PermissionPortalDeps {
  preferences: PreferencesService;
  rateLimits: RateLimitCounter;
  vault: Pick<Vault, 'rateLimitHash'>;
  clock: Clock;
}

const sent = z
  .strictObject({ status: z.literal('sent') })
  .describe('Always this, whether or not anything was mailed');

const label = z.strictObject({ sv: z.string(), fi: z.string(), en: z.string() });
const kindChannel = {
  kind: z.string().min(1).max(100).describe('A permission kind of the register definition'),
  channel: z.string().min(1).max(100).describe('A channel some purpose of the kind uses, or *'),
};
const wording = z
  .strictObject({
    text: z.string().trim().min(1).max(4000).describe('The words the person was shown'),
    language: z.enum(WORDING_LANGUAGES),
  })
  .describe('What the person saw when choosing: kept as the evidence');

const choice = z
  .strictObject({
    ...kindChannel,
    label,
    channelLabel: label,
    state: z.enum(PERMISSION_STATES).nullable().describe('The deciding state; null: never asked'),
    basis: z.enum(['consent', 'opt_out']),
  })
  .meta({ id: 'PreferenceChoice' });

const preferencesAnswer = z.strictObject({ choices: z.array(choice) }).meta({ id: 'Preferences' });

const token = z.strictObject({
  token: z.string().max(200).describe('The token from the mailed link’s fragment (#token=…)'),
});

const perEmail = (
  deps: PermissionPortalDeps,
  name: 'preferences-email' | 'signup-email',
  email: string,
) =>
  limitEmail(
    deps.rateLimits,
    (key) => deps.vault.rateLimitHash(key),
    name,
    normaliseEmail(email) ?? email.trim().toLowerCase(),
  );

/** The JSON routes under /api/v1/portal. */
export function permissionPortalRoutes(app: FastifyInstance, deps: PermissionPortalDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { preferences } = deps;
  const tags = ['portal'];
  const config = { rateLimit: rateLimit('portal') };
  const person = (req: FastifyRequest) =>
    authenticatePersonSession(preferences.sessions, deps.clock, req);
  /**
   * What the session's person does: a person no longer found there (erased, or kept by a legal
   * hold for other purposes, between the session's check and the work) is refused as a session
   * that has ended.
   */
  const asPerson = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (e) {
      if (e instanceof AppError && e.code === 'not_found') {
        throw personSessionRefused();
      }
      throw e;
    }
  };

  r.get('/portal/preferences/choices', {
    schema: {
      operationId: 'listPreferenceChoices',
      security: [],
      tags,
      summary:
        'Every kind of marketing and channel the register’s purposes use, with labels (for a sign-up form)',
      response: {
        200: z.strictObject({
          choices: z.array(
            z.strictObject({
              ...kindChannel,
              label,
              channelLabel: label,
              basis: z.enum(['consent', 'opt_out']),
            }),
          ),
        }),
        429: problemSchema,
      },
    },
    config,
    handler: () => ({ choices: preferences.choices() }),
  });

  r.post('/portal/preferences/links', {
    schema: {
      operationId: 'requestPreferenceLink',
      security: [],
      tags,
      summary:
        'Mails a single-use link (1 h) to the preference page when the address is a person’s in the register; the answer is the same whether or not it is',
      body: z.strictObject({ email: z.email().max(320), lang: z.enum(LOCALES) }),
      response: { 202: sent, 400: problemSchema, 429: problemSchema },
    },
    config,
    handler: async (req, reply) => {
      await perEmail(deps, 'preferences-email', req.body.email);
      return reply.code(202).send(await preferences.requestManageLink(req.body));
    },
  });

  r.post('/portal/preferences/session', {
    schema: {
      operationId: 'openPreferenceSession',
      security: [],
      tags,
      summary:
        'Uses the mailed preference link’s token (once) and opens a person session of 30 minutes (the rk_person cookie: HttpOnly, SameSite=Strict)',
      body: token,
      response: {
        200: z.strictObject({ expiresAt: z.iso.datetime() }),
        400: problemSchema,
        404: problemSchema,
        429: problemSchema,
      },
    },
    config,
    handler: async (req, reply) => {
      const { session, expiresAt } = await preferences.openSession(req.body.token);
      setSessionCookie(PERSON_SESSION_COOKIE, req, reply, session);
      return { expiresAt: expiresAt.toISOString() };
    },
  });

  r.delete('/portal/preferences/session', {
    schema: {
      operationId: 'closePreferenceSession',
      security: [],
      tags,
      summary: 'Ends the person session (signs out of the preference page)',
      response: { 204: z.null(), 429: problemSchema },
    },
    config,
    handler: async (req, reply) => {
      const t = sessionToken(PERSON_SESSION_COOKIE, req);
      if (t) {
        await preferences.endSession(hashPersonSessionToken(t));
      }
      setSessionCookie(PERSON_SESSION_COOKIE, req, reply, null);
      return reply.code(204).send(null);
    },
  });

  r.get('/portal/preferences', {
    schema: {
      operationId: 'getPreferences',
      security: [{ person: [] }],
      tags,
      summary:
        'The person’s choices (each kind and channel with its current state), in the session the preference link opened',
      response: { 200: preferencesAnswer, 401: problemSchema, 429: problemSchema },
    },
    config,
    handler: async (req) => {
      const { subjectId } = await person(req);
      return { choices: await asPerson(() => preferences.preferences(subjectId)) };
    },
  });

  r.put('/portal/preferences', {
    schema: {
      operationId: 'setPreferences',
      security: [{ person: [] }],
      tags,
      summary:
        'Changes the person’s choices at once (method preference_page, with the wording shown): allow grants; not allowing is withdrawn (consent) or refused (opt-out)',
      body: z.strictObject({
        changes: z
          .array(z.strictObject({ ...kindChannel, allow: z.boolean() }))
          .min(1)
          .max(100),
        wording,
      }),
      response: {
        200: preferencesAnswer,
        400: problemSchema,
        401: problemSchema,
        429: problemSchema,
      },
    },
    config,
    handler: async (req) => {
      const { subjectId } = await person(req);
      return { choices: await asPerson(() => preferences.setPreferences(subjectId, req.body)) };
    },
  });

  r.post('/portal/signups', {
    schema: {
      operationId: 'signUp',
      security: [],
      tags,
      summary:
        'Double opt-in sign-up: keeps the sign-up (address sealed, no person) and mails a confirmation link (24 h; none again within 15 minutes); the answer is the same whatever the address',
      body: z.strictObject({
        email: z.email().max(320),
        lang: z.enum(LOCALES),
        choices: z.array(z.strictObject(kindChannel)).min(1).max(50),
        wording,
      }),
      response: { 202: sent, 400: problemSchema, 429: problemSchema },
    },
    config: { rateLimit: rateLimit('signup') },
    handler: async (req, reply) => {
      await perEmail(deps, 'signup-email', req.body.email);
      return reply.code(202).send(await preferences.signUp(req.body));
    },
  });

  r.post('/portal/signups/confirm', {
    schema: {
      operationId: 'confirmSignUp',
      security: [],
      tags,
      summary:
        'Confirms a sign-up with the mailed link’s token (once): the person is found or created by the address and the kinds and channels asked for are granted (method double_opt_in)',
      body: token,
      response: {
        200: z.strictObject({
          status: z.literal('confirmed'),
          granted: z.array(z.strictObject(kindChannel)),
        }),
        400: problemSchema,
        404: problemSchema,
        429: problemSchema,
      },
    },
    config,
    handler: (req) => preferences.confirm(req.body.token),
  });
}

/** A form body: URL-encoded, or multipart/form-data (text fields only). */
function parseMultipart(body: string, contentType: string): Record<string, string | string[]> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const out: Record<string, string | string[]> = {};
  if (!boundary) {
    return out;
  }
  const sep = `--${boundary[1] ?? boundary[2]}`;
  for (const part of body.split(sep)) {
    const at = part.indexOf('\r\n\r\n');
    if (at < 0) {
      continue;
    }
    const head = part.slice(0, at);
    const name = /name="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined || /filename=/i.test(head)) {
      continue;
    }
    add(out, name, part.slice(at + 4).replace(/\r\n$/, ''));
  }
  return out;
}

function add(out: Record<string, string | string[]>, name: string, value: string) {
  const had = out[name];
  out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
}

function parseUrlEncoded(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    add(out, k, v);
  }
  return out;
}

type FormBody = Record<string, string | string[]> | undefined;
const one = (body: FormBody, name: string) => {
  const v = body?.[name];
  return Array.isArray(v) ? v[0] : v;
};
const all = (body: FormBody, name: string) => {
  const v = body?.[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

/** `/u/<token>` in a path, as logged: the token replaced. */
export function redactUnsubscribePath(path: string): string {
  return path.replace(/^\/u\/[^/?#]*/, '/u/[token]');
}

/**
 * The top-level pages: the one-click unsubscribe and the embeddable sign-up form's target. In a
 * scope of their own, with their own form-body parsers and rate limits.
 */
export async function publicPermissionPages(
  app: FastifyInstance,
  deps: PermissionPortalDeps,
): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16_384 },
      (_req, body, done) => done(null, parseUrlEncoded(body as string)),
    );
    scope.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'string', bodyLimit: 65_536 },
      (req, body, done) =>
        done(null, parseMultipart(body as string, req.headers['content-type'] ?? '')),
    );
    await registerRateLimits(scope, deps.rateLimits);
    const html = (reply: FastifyReply, code: number, page: string) =>
      reply.code(code).type('text/html; charset=utf-8').send(page);
    const lang = (req: FastifyRequest) => pageLocale(req.query, req.headers['accept-language']);
    const config = { rateLimit: rateLimit('unsubscribe') };

    scope.get<{ Params: { token: string } }>(
      '/u/:token',
      { schema: { hide: true }, config },
      (req, reply) => {
        // Changes nothing: mail scanners open links. The page asks, its button posts. A link this
        // register did not issue (forged, cut short, another server's) is told as the POST tells
        // it, with no button: pressing one would only fail.
        const l = lang(req);
        const about = deps.preferences.describeUnsubscribe(req.params.token);
        if (!about) {
          return html(reply, 400, unsubscribeInvalidPage(l));
        }
        return html(reply, 200, unsubscribeAskPage(l, req.params.token, labelled(deps, l, about)));
      },
    );

    scope.post<{ Params: { token: string }; Body: FormBody }>(
      '/u/:token',
      { schema: { hide: true }, config },
      async (req, reply) => {
        if (one(req.body, 'List-Unsubscribe') !== 'One-Click') {
          throw new AppError(
            'validation_failed',
            'an unsubscribe is posted with the form field List-Unsubscribe=One-Click (RFC 8058)',
            [{ field: 'List-Unsubscribe', detail: 'expected the value One-Click' }],
          );
        }
        const l = lang(req);
        try {
          await deps.preferences.unsubscribe(req.params.token);
        } catch (e) {
          if (e instanceof AppError && e.code === 'not_found') {
            return html(reply, 400, unsubscribeInvalidPage(l));
          }
          throw e;
        }
        return html(reply, 200, unsubscribeDonePage(l));
      },
    );

    scope.post<{ Body: FormBody }>(
      '/signup',
      { schema: { hide: true }, config: { rateLimit: rateLimit('signup') } },
      async (req, reply) => {
        const b = req.body;
        const l: Locale = pageLocale({ lang: one(b, 'lang') }, req.headers['accept-language']);
        const email = one(b, 'email')?.trim() ?? '';
        const text = one(b, 'wording')?.trim() ?? '';
        const choices = all(b, 'choice').map((c) => {
          const [kind = '', channel = ''] = c.split(':');
          return { kind, channel };
        });
        const problems = [
          ...(z.email().max(320).safeParse(email).success ? [] : ['email']),
          ...(text.length > 0 && text.length <= 4000 ? [] : ['wording']),
          ...(choices.length > 0 && choices.length <= 50 ? [] : ['choice']),
        ];
        if (problems.length > 0) {
          return html(reply, 400, signupRefusedPage(l, problems.join(', ')));
        }
        await perEmail(deps, 'signup-email', email);
        try {
          await deps.preferences.signUp({
            email,
            lang: l,
            choices,
            wording: { text, language: l },
          });
        } catch (e) {
          if (e instanceof AppError && e.code === 'validation_failed') {
            return html(reply, 400, signupRefusedPage(l, 'choice'));
          }
          throw e;
        }
        return html(reply, 200, signupSentPage(l));
      },
    );
  });
}

function labelled(
  deps: PermissionPortalDeps,
  lang: Locale,
  about: { kind: string; channel: string },
): { kind: string; channel: string } {
  const c = deps.preferences
    .choices()
    .find((x) => x.kind === about.kind && x.channel === about.channel);
  return c ? { kind: c.label[lang], channel: c.channelLabel[lang] } : about;
}
