/**
 * The published API description (/api/openapi.json) as a client generator or a reviewer reads it:
 * every operation named and its authentication stated, public ones explicitly so, a server and a
 * licence, and no schema that nothing uses. `npm run lint:openapi` checks the same document
 * against Redocly's rules in CI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutUnusedSchemas } from '../src/app.ts';
import { createTestContext, type TestContext } from './helpers.ts';

interface Operation {
  operationId?: string;
  security?: Array<Record<string, string[]>>;
  responses?: Record<string, unknown>;
}
interface Doc {
  info: { license?: { name: string; identifier?: string } };
  servers?: Array<{ url: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
}

const PUBLIC = [
  'GET /api/v1/definition',
  'GET /healthz',
  'GET /healthz/live',
  'GET /healthz/ready',
  'POST /api/v1/auth/login',
  // The portal's request routes: a person asks, follows a mailed link, downloads.
  'POST /api/v1/portal/download-links',
  'POST /api/v1/portal/downloads',
  'POST /api/v1/portal/requests',
  'POST /api/v1/portal/verify',
  // The portal's marketing choices: the sign-up and the preference page's link and session.
  'GET /api/v1/portal/preferences/choices',
  'POST /api/v1/portal/preferences/links',
  'POST /api/v1/portal/preferences/session',
  'DELETE /api/v1/portal/preferences/session',
  'POST /api/v1/portal/signups',
  'POST /api/v1/portal/signups/confirm',
  // The privacy notice, what it leaves unanswered, and its published versions: public documents.
  'GET /api/v1/notice',
  'GET /api/v1/notice/completeness',
  'GET /api/v1/notice/versions',
  'GET /api/v1/notice/versions/diff',
  'GET /api/v1/notice/versions/{version}',
].sort();

describe('the OpenAPI document', () => {
  let ctx: TestContext;
  let doc: Doc;
  let operations: Array<[string, Operation]>;

  beforeAll(async () => {
    ctx = await createTestContext('pglite');
    const res = await ctx.app.inject({ method: 'GET', url: '/api/openapi.json' });
    expect(res.statusCode).toBe(200);
    doc = res.json<Doc>();
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]): [string, Operation] => [
        `${method.toUpperCase()} ${path}`,
        op,
      ]),
    );
  }, 60_000);
  afterAll(async () => {
    await ctx?.close();
  });

  it('names every operation once', () => {
    expect(operations.length).toBeGreaterThan(20);
    const missing = operations.filter(([, op]) => !op.operationId).map(([name]) => name);
    expect(missing).toEqual([]);
    const ids = operations.map(([, op]) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('states the authentication of every operation, and only health, the definition, sign-in, the portal’s request routes and the privacy notice are public', () => {
    const undeclared = operations.filter(([, op]) => !Array.isArray(op.security));
    expect(undeclared.map(([name]) => name)).toEqual([]);
    const open = operations
      .filter(([, op]) => op.security?.length === 0)
      .map(([name]) => name)
      .sort();
    expect(open).toEqual(PUBLIC);
    // Every scheme named by an operation is declared.
    for (const [, op] of operations) {
      for (const requirement of op.security ?? []) {
        for (const scheme of Object.keys(requirement)) {
          expect(doc.components.securitySchemes).toHaveProperty(scheme);
        }
      }
    }
  });

  it('declares the pending sign-in session on the second factor, and both schemes where a key is accepted', async () => {
    const security = (name: string) => operations.find(([n]) => n === name)?.[1].security;
    // The second step of sign-in needs the session cookie the first step set.
    expect(security('POST /api/v1/auth/mfa')).toEqual([{ session: [] }]);
    const mfa = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/auth/mfa',
      payload: { code: '123456' },
    });
    expect(mfa.statusCode).toBe(401);
    // About one's own session: a staff session only.
    for (const own of ['GET /api/v1/auth/me', 'POST /api/v1/auth/password']) {
      expect(security(own)).toEqual([{ session: [] }]);
    }
    // Staff management, the data and the access log take a staff session or an API key.
    const both = operations.filter(([name]) =>
      /^\w+ \/api\/v1\/(roles|staff|subjects|audit)/.test(name),
    );
    expect(both.length).toBeGreaterThan(10);
    for (const [name, op] of both) {
      const schemes = (op.security ?? []).flatMap((r) => Object.keys(r)).sort();
      expect(schemes, name).toEqual(['bearer', 'session']);
    }
    // And a bearer key is in fact taken there: refused for its rights (403), not unknown (401).
    const key = await ctx.key(['newsletter'], ['read']);
    expect((await ctx.app.inject({ url: '/api/v1/staff', headers: key })).statusCode).toBe(403);
  });

  it('says that the public operations need nothing, in practice too', async () => {
    const definition = await ctx.app.inject({ method: 'GET', url: '/api/v1/definition' });
    expect(definition.statusCode).toBe(200);
    // And one that claims a scheme refuses a request without it.
    const subjects = await ctx.app.inject({
      method: 'GET',
      url: '/api/v1/subjects?purpose=customer_relationship',
    });
    expect(subjects.statusCode).toBe(401);
  });

  it("publishes the controller's postal address and the data protection officer's contact details (Art. 13(1)(a)-(b))", async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/definition' });
    expect(res.statusCode).toBe(200);
    const { controller } = res.json<{ controller: Record<string, unknown> }>();
    expect(controller.address).toEqual({
      street: 'Paahtimokuja 4',
      postalCode: '90630',
      city: 'Oulu',
      country: 'FI',
    });
    expect(controller.dpo).toEqual({
      name: 'Joel Västilä',
      // A role given as a plain string is published in every language.
      role: {
        sv: 'Data protection officer',
        fi: 'Data protection officer',
        en: 'Data protection officer',
      },
      email: 'tietosuoja@revontuli.example.com',
      phone: '+358 40 0000 102',
    });
    expect(controller.vatId).toBe('FI31415926');
    // The demo controller is in the EU: no representative is published.
    expect(controller).not.toHaveProperty('representative');
    // The document describes them too, for clients generated from it.
    const summary = JSON.stringify(doc.paths['/api/v1/definition']);
    expect(summary).toContain('postalCode');
    expect(summary).toContain('dpo');
  });

  it("publishes the notice's languages, date, disclosures and the categories each source supplies", async () => {
    const res = await ctx.app.inject({ method: 'GET', url: '/api/v1/definition' });
    const body = res.json<{
      languages: string[];
      notice: { date: string; laws: string[] };
      disclosures: Array<{ kind: string; text: { fi: string } }>;
      sources: Array<{ id: string; categories: string[] }>;
    }>();
    expect(body.languages).toEqual(['fi', 'sv', 'en']);
    expect(body.notice.date).toBe('2026-03-02');
    expect(body.notice.laws).toContain('Data Protection Act 1050/2018');
    expect(body.disclosures.map((d) => d.kind)).toEqual([
      'none_except_contract_consent_law',
      'authorities_on_request',
      'business_sale',
    ]);
    expect(body.disclosures[0]?.text.fi).toContain('Emme luovuta');
    expect(body.sources.find((x) => x.id === 'automatic')?.categories).toEqual([
      'device',
      'analytics',
    ]);
  });

  it('has a server, the AGPL licence, and a client error answer for every operation', () => {
    expect(doc.servers).toEqual([{ url: '/', description: 'This server' }]);
    expect(doc.info.license).toEqual({ name: 'AGPL-3.0-only', identifier: 'AGPL-3.0-only' });
    const without4xx = operations
      .filter(([, op]) => !Object.keys(op.responses ?? {}).some((code) => code.startsWith('4')))
      .map(([name]) => name);
    expect(without4xx).toEqual([]);
  });

  it('keeps only the component schemas something refers to', () => {
    const text = JSON.stringify({ ...doc, components: { ...doc.components, schemas: {} } });
    const schemas = doc.components.schemas;
    for (const [name, schema] of Object.entries(schemas)) {
      const others = JSON.stringify(
        Object.fromEntries(Object.entries(schemas).filter(([n]) => n !== name)),
      );
      const ref = `"#/components/schemas/${name}"`;
      expect(text.includes(ref) || others.includes(ref), `${name} is referred to`).toBe(true);
      expect(schema).toBeTruthy();
    }
    expect(Object.keys(schemas)).toContain('Problem');
    expect(Object.keys(schemas)).not.toContain('ProblemInput');
  });

  it('describes the access copy field by field, not as an open record', () => {
    const exportOp = doc.paths['/api/v1/subjects/{id}/export']?.get as {
      responses: Record<string, { content: Record<string, { schema: unknown }> }>;
    };
    expect(exportOp.responses['200']?.content['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/AccessCopy',
    });
    const copy = doc.components.schemas.AccessCopy as {
      required: string[];
      properties: Record<string, { required?: string[]; items?: { required?: string[] } }>;
      additionalProperties?: unknown;
    };
    expect(copy.required.sort()).toEqual([
      'accessLog',
      'categories',
      'controller',
      'exportedAt',
      'history',
      'permissions',
      'requests',
      'rights',
      'stops',
      'subject',
      'supervisoryAuthority',
    ]);
    expect(copy.properties.subject?.required).toContain('restrictionReason');
    expect(copy.properties.requests?.items?.required).toEqual(
      expect.arrayContaining(['type', 'channel', 'receivedAt', 'dueOn', 'state', 'history']),
    );
    expect(copy.properties.stops?.required).toEqual(['stopped', 'compellingGrounds']);
    expect(copy.properties.history?.items?.required).toEqual(
      expect.arrayContaining(['category', 'field', 'old', 'new', 'reason', 'changedAt']),
    );
    expect(copy.properties.accessLog?.items?.required).toEqual(
      expect.arrayContaining(['at', 'action', 'purpose', 'role', 'categories']),
    );
  });

  it('prunes an unused schema but keeps one reached only through another', () => {
    const pruned = withoutUnusedSchemas({
      paths: { '/a': { get: { responses: { 200: { $ref: '#/components/schemas/A' } } } } },
      components: {
        schemas: {
          A: {
            $id: '#/components/schemas/A',
            properties: { b: { $ref: '#/components/schemas/B' } },
          },
          B: { $id: '#/components/schemas/B', type: 'string' },
          Unused: { $id: '#/components/schemas/Unused', type: 'string' },
          SelfOnly: {
            $id: '#/components/schemas/SelfOnly',
            items: { $ref: '#/components/schemas/SelfOnly' },
          },
        },
      },
    });
    expect(Object.keys(pruned.components.schemas).sort()).toEqual(['A', 'B']);
  });
});
