import type { FastifyError, FastifyInstance } from 'fastify';
import { errors, PulseMockError } from '../core/errors.js';

/**
 * Where errors of the server's own routes (admin, portal, meta) and of fastify itself (an
 * undecodable URL, no route) become responses; Pulse's API routes shape theirs in the request
 * pipeline, with the same PulseMockErrors. Anything thrown in a route, a hook, a body parser or
 * a validator ends here and leaves as Pulse's `{ error: { code, message, details } }`, with a
 * 4xx for anything the client can fix. A 5xx means a bug in the mock, and is logged as one.
 */
export function toPulseError(err: unknown, limitBytes: number, contentType?: string): PulseMockError {
  if (err instanceof PulseMockError) return err;
  const e = err as FastifyError & { validation?: unknown[]; validationContext?: string };
  if (e.validation) {
    return errors.invalidBody(`Invalid request ${e.validationContext ?? 'input'}: ${e.message}`, {
      errors: e.validation,
    });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return errors.bodyTooLarge(limitBytes, '--json-body-limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(contentType?.split(';')[0]?.trim() || 'none');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalidBody('The body is empty but Content-Type is application/json; send a JSON object.');
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return errors.invalidBody(`Malformed JSON body: ${e.message}`);
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return errors.badRequest(status, e.message, e.code);
  }
  return errors.bug(e);
}

export function registerErrorHandling(
  app: FastifyInstance,
  opts: { bodyLimit: number; onInternalError: (err: unknown) => void },
): void {
  app.setErrorHandler((err, request, reply) => {
    const pulse = toPulseError(err, opts.bodyLimit, request.headers['content-type']);
    // A PulseMockError 5xx is deliberate (an injected fault); anything else reaching 5xx is a bug.
    if (pulse.status >= 500 && !(err instanceof PulseMockError)) opts.onInternalError(err);
    void reply.code(pulse.status).headers(pulse.headers).send(pulse.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const e = errors.routeNotFound(request.method, request.url.split('?')[0] ?? request.url);
    void reply.code(e.status).send(e.toBody());
  });
}
