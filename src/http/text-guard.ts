/**
 * Refuses text that may not be stored before any route sees it: a JSON body that is not valid
 * UTF-8, a query string whose percent-encoding is malformed or not UTF-8, and any string of the
 * body, query or path with a control character, a bidirectional control or a lone surrogate
 * (src/lib/text.ts). Strings are single-line unless the route lists their path (or a prefix of it)
 * in `config.multiline`; people's values are checked again, field by field, against the register
 * definition (src/modules/subjects/field-types.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError, invalidAll } from '../lib/errors.ts';
import { textFaults } from '../lib/text.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Paths (or their prefixes) of body fields that may hold several lines: `changes` also covers
     * `changes[0].value` and `changes.note`.
     */
    multiline?: readonly string[];
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function checkQueryEncoding(url: string): void {
  const q = url.indexOf('?');
  if (q < 0) {
    return;
  }
  for (const part of url.slice(q + 1).split('&')) {
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    try {
      decodeURIComponent(rawKey.replaceAll('+', ' '));
      decodeURIComponent(part.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      // The name is given only when it decodes and is a plain name: nothing else is echoed.
      const name = /^[A-Za-z0-9_.-]{1,40}$/.test(rawKey) ? rawKey : 'query';
      throw new AppError('validation_failed', `${name}: malformed percent-encoding or not UTF-8`, [
        { field: name, detail: 'malformed percent-encoding or not UTF-8' },
      ]);
    }
  }
}

export function registerTextGuard(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done) => {
      let text: string;
      try {
        text = utf8.decode(body);
      } catch {
        done(
          new AppError('validation_failed', 'body: not valid UTF-8', [
            { field: 'body', detail: 'not valid UTF-8' },
          ]),
          undefined,
        );
        return;
      }
      void parseJson(request, text, done);
    },
  );

  app.addHook('onRequest', (request, _reply, done) => {
    try {
      checkQueryEncoding(request.url);
    } catch (err) {
      done(err as Error);
      return;
    }
    done();
  });

  app.addHook('preValidation', (request, _reply, done) => {
    const multiline = request.routeOptions.config.multiline ?? [];
    const isMultiline = (path: string) =>
      multiline.some((m) => path === m || path.startsWith(`${m}.`) || path.startsWith(`${m}[`));
    const single = () => false;
    const issues = [
      ...textFaults(request.params, '', single),
      ...textFaults(request.query, '', single),
      ...textFaults(request.body, '', isMultiline),
    ];
    done(issues.length > 0 ? invalidAll(issues) : undefined);
  });
}
