import type { FastifyError, FastifyInstance } from 'fastify';
import { errors, PulseMockError } from '../core/errors.js';

/**
 * The one place errors become responses. Anything thrown in a route, a hook, a body parser or
 * a validator ends here and leaves as Pulse's `{ error: { code, message, details } }`, with a
 * 4xx for anything the client can fix. A 5xx means a bug in the mock, and is logged as one.
 */
export function toPulseError(err: unknown, limitBytes: number): PulseMockError {
  if (err instanceof PulseMockError) return err;
  const e = err as FastifyError & { validation?: unknown[]; validationContext?: string };
  if (e.validation) {
    return errors.invalidBody(`Invalid request ${e.validationContext ?? 'input'}: ${e.message}`, { errors: e.validation });
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return errors.fileTooLarge(limitBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return errors.unsupportedMediaType(String((e as { contentType?: string }).contentType ?? 'unknown'));
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new PulseMockError(413, 'FILE_002', `Multipart body too large: ${e.message}`, { reason: e.code });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return errors.invalidBody('The body is empty but Content-Type is application/json; send a JSON object.');
  }
  if (e instanceof SyntaxError || e.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return errors.invalidBody(`Malformed JSON body: ${e.message}`);
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return new PulseMockError(status, 'BAD_REQUEST', `Bad request: ${e.message}`, e.code ? { reason: e.code } : {});
  }
  // Busboy (multipart) reports malformed input as plain Errors without a status.
  if (/multipart|boundary|unexpected end of form|malformed part header/i.test(e.message ?? '')) {
    return errors.invalidBody(`Malformed multipart body: ${e.message}`);
  }
  return errors.internal(`Internal error in pulse-mock: ${e.message}. This is a bug; please report it.`);
}

export function registerErrorHandling(app: FastifyInstance, opts: { bodyLimit: number; onInternalError: (err: unknown) => void }): void {
  app.setErrorHandler((err, _request, reply) => {
    const pulse = toPulseError(err, opts.bodyLimit);
    // A PulseMockError 5xx is deliberate (an injected fault); anything else reaching 5xx is a bug.
    if (pulse.status >= 500 && !(err instanceof PulseMockError)) opts.onInternalError(err);
    void reply.code(pulse.status).headers(pulse.headers).send(pulse.toBody());
  });
  app.setNotFoundHandler((request, reply) => {
    const e = errors.routeNotFound(request.method, request.url.split('?')[0] ?? request.url);
    void reply.code(404).send(e.toBody());
  });
}
