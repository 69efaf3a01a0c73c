/**
 * One error type for everything the mock refuses, rendered by both adapters (fastify and
 * msw) as Pulse's body: `{ "error": { "code", "message", "details" } }`.
 *
 * @example
 * const res = await fetch(`${mock.url}/job/nope`, { headers: { 'x-api-key': mock.apiKey } });
 * (await res.json()).error.code; // 'JOB_NOT_FOUND', from new PulseMockError(404, 'JOB_NOT_FOUND', ...)
 */
export class PulseMockError extends Error {
  override readonly name = 'PulseMockError';

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    /** Extra response headers, e.g. `Retry-After` on a 429. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody(): PulseErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export interface PulseErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** The errors Pulse documents (codes from its docs), plus the mock's own where Pulse has none. */
export const errors = {
  missingApiKey: () =>
    new PulseMockError(401, 'AUTH_001', 'API key is missing: send it in the x-api-key header.', {
      header: 'x-api-key',
    }),
  invalidApiKey: () => new PulseMockError(401, 'AUTH_002', 'API key is invalid.', { header: 'x-api-key' }),
  forbiddenApiKey: () => new PulseMockError(403, 'AUTH_004', 'This API key is not allowed to use this endpoint.'),
  missingFile: () =>
    new PulseMockError(400, 'REQ_001', 'Either a file upload (file) or a file URL (file_url) is required.', {
      accepted: ['file', 'file_url', 'fileUrl', 'file-url'],
    }),
  chunkSizeOutOfRange: (value: unknown) =>
    new PulseMockError(400, 'REQ_005', 'chunk_size must be an integer from 100 to 10000.', {
      value,
      min: 100,
      max: 10000,
    }),
  badPageRange: (value: unknown, reason: string) =>
    new PulseMockError(400, 'REQ_006', `Invalid page range: ${reason}. Use 1-indexed pages such as "1-2,5".`, {
      value,
    }),
  unsupportedFileType: (type: string, supported: readonly string[]) =>
    new PulseMockError(400, 'FILE_001', `Unsupported file type "${type}".`, { type, supported }),
  fileTooLarge: (limitBytes: number) =>
    new PulseMockError(413, 'FILE_002', `File too large: the limit is ${limitBytes} bytes.`, {
      limit_bytes: limitBytes,
    }),
  /**
   * A synchronous call whose planned outcome is failure (a header, a rule, `--failure-rate`):
   * a 400 with a code from the older table of Pulse's error page (FILE_003 corrupted, 004 empty,
   * 005 download failed, 006 password-protected) picked by the message, never a 5xx, which the
   * TypeScript SDK would retry twice.
   */
  syncFailed: (message: string, reason: string) =>
    new PulseMockError(400, fileErrorCode(message), message, { outcome: 'failed', reason }),
  bodyTooLarge: (limitBytes: number, flag: string) =>
    new PulseMockError(
      413,
      'BODY_TOO_LARGE',
      `Request body too large: the limit for this body is ${limitBytes} bytes (${flag}); send files as multipart uploads.`,
      { limit_bytes: limitBytes },
    ),
  backlogFull: (pending: number, max: number) =>
    new PulseMockError(
      503,
      'BACKLOG_FULL',
      `${pending} webhook deliveries are not finished yet (at most ${max}, --max-pending): try again later; nothing already accepted is dropped.`,
      { pending, max_pending: max },
      { 'retry-after': '5' },
    ),
  requestTimeout: (ms: number) =>
    new PulseMockError(
      408,
      'REQUEST_TIMEOUT',
      `The request was not received whole within ${ms} ms (--request-timeout-ms); the connection is closed.`,
      { timeout_ms: ms },
    ),
  tooManyEndpoints: (max: number) =>
    new PulseMockError(
      400,
      'INVALID_PARAMETER',
      `There are ${max} webhook endpoints already, the most the mock keeps (--max-endpoints): remove one first.`,
      { field: 'url', max_endpoints: max },
    ),
  tooManyPages: (field: string, source: string, pages: number, max: number) =>
    new PulseMockError(
      400,
      'INVALID_PARAMETER',
      `${source} has ${pages} pages; at most ${max} pages are processed per document.`,
      { field, pages, max_pages: max },
    ),
  invalidParameter: (field: string, message: string, value?: unknown) =>
    new PulseMockError(400, 'INVALID_PARAMETER', message, value === undefined ? { field } : { field, value }),
  invalidBody: (message: string, details: Record<string, unknown> = {}) =>
    new PulseMockError(400, 'INVALID_REQUEST_BODY', message, details),
  unsupportedMediaType: (contentType: string) =>
    new PulseMockError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Content-Type "${contentType}" is not supported; send application/json or multipart/form-data.`,
      {
        content_type: contentType,
      },
    ),
  jobNotFound: (jobId: string, retention?: { kept: number; evicted: number }) =>
    new PulseMockError(
      404,
      'JOB_NOT_FOUND',
      `No job with id "${jobId}".${retention && retention.evicted > 0 ? ` pulse-mock keeps the last ${retention.kept} jobs and has evicted ${retention.evicted} older ones; raise --max-jobs to keep more.` : ''}`,
      { job_id: jobId },
    ),
  extractionNotFound: (id: string) =>
    new PulseMockError(
      404,
      'EXTRACTION_NOT_FOUND',
      `No stored extraction with id "${id}". Use the extraction_id of an extract made with storage enabled (the default).`,
      { extraction_id: id },
    ),
  extractionNotReady: (id: string, jobId: string, status: string) =>
    new PulseMockError(
      404,
      'EXTRACTION_NOT_READY',
      `Extraction "${id}" belongs to job ${jobId}, which is ${status}; use it once the job has completed.`,
      { extraction_id: id, job_id: jobId, status },
    ),
  /** A run a request names (a split, a form, a schema run) whose job has not completed yet. */
  runNotReady: (field: string, id: string, status: string) =>
    new PulseMockError(
      404,
      'NOT_READY',
      `The ${field.replace(/_id$/, '').replace(/_/g, ' ')} "${id}" is ${status}; use it once its job has completed (GET /job/${id}).`,
      { [field]: id, status },
    ),
  /** An id a request names (split_id, schema_id, a saved config) that the mock does not have. */
  notFoundById: (field: string, id: string) =>
    new PulseMockError(
      404,
      'NOT_FOUND',
      `No ${field.replace(/_id$/, '').replace(/_/g, ' ')} with id "${id}" (${field}).`,
      { [field]: id },
    ),
  largeResultNotFound: (id: string) =>
    new PulseMockError(404, 'RESULT_NOT_FOUND', `No large result with id "${id}".`, { job_id: id }),
  notRecorded: (method: string, path: string) =>
    new PulseMockError(
      404,
      'RECORDING_NOT_FOUND',
      `No recording matches ${method} ${path} with these fields (--recordings-strict): record it with pulse-mock record, or leave out --recordings-strict to get a generated result.`,
      { method, path },
    ),
  fileNotFound: (jobId: string, name: string) =>
    new PulseMockError(404, 'FILE_NOT_FOUND', `Job "${jobId}" has no file "${name}".`, {
      job_id: jobId,
      filename: name,
    }),
  largeResultExpired: (id: string) =>
    new PulseMockError(410, 'RESULT_GONE', 'This large result link has expired (an hour after the job completed).', {
      job_id: id,
    }),
  largeResultLinkInvalid: (id: string) =>
    new PulseMockError(
      401,
      'INVALID_LINK',
      'This large result link is not valid (its token does not match): use the url the result gave, or GET /large_results/{id} with x-api-key.',
      { job_id: id },
    ),
  largeResultGone: (id: string) =>
    new PulseMockError(410, 'RESULT_GONE', 'This large result was already downloaded; its URL works once.', {
      job_id: id,
    }),
  routeNotFound: (method: string, url: string, meant?: string) =>
    new PulseMockError(
      404,
      'NOT_FOUND',
      meant === undefined
        ? `No route ${method} ${url}.`
        : `No route ${method} ${url}. Paths match exactly: lower-case, no trailing or doubled slash. Did you mean ${method} ${meant}?`,
      { method, url, ...(meant === undefined ? {} : { did_you_mean: meant }) },
    ),
  methodNotAllowed: (method: string, url: string, allowed: readonly string[]) =>
    new PulseMockError(
      405,
      'METHOD_NOT_ALLOWED',
      `${method} is not allowed on ${url}; use ${allowed.join(' or ')}.`,
      { method, url, allowed },
      { allow: allowed.join(', ') },
    ),
  stateWriteFailed: (path: string, cause: string) =>
    new PulseMockError(
      503,
      'STATE_WRITE_FAILED',
      `pulse-mock could not write its --state file ${path} (${cause}); nothing was changed. Free the disk or fix the file, then retry.`,
      { reason: cause },
    ),
  internal: (message: string) => new PulseMockError(500, 'INTERNAL_ERROR', message),
  /** A bug in the mock that reached a client: said so, for a report. */
  bug: (cause: unknown) =>
    new PulseMockError(
      500,
      'INTERNAL_ERROR',
      `Internal error in pulse-mock: ${(cause as Error)?.message ?? String(cause)}. This is a bug; please report it.`,
    ),
  /** A 4xx fastify raised itself (before a route ran) with no code of ours. */
  badRequest: (status: number, message: string, reason?: string) =>
    new PulseMockError(status, 'BAD_REQUEST', `Bad request: ${message}`, reason ? { reason } : {}),
  repeatedField: (field: string) =>
    new PulseMockError(400, 'INVALID_PARAMETER', `The field "${field}" is sent more than once; send each field once.`, {
      field,
    }),
  multipartTooMany: (what: 'parts' | 'files' | 'fields', limits: Record<string, number>) =>
    new PulseMockError(413, 'FILE_002', `Multipart body has too many ${what}.`, { limits }),
  adminTokenRequired: () =>
    new PulseMockError(
      401,
      'ADMIN_TOKEN_REQUIRED',
      'The admin API needs the admin token (Authorization: Bearer <token>; printed at start as "admin token") when the mock listens beyond loopback, or the session of a portal page opened from POST /webhook.',
    ),
  hostNotAllowed: (host: string) =>
    new PulseMockError(
      403,
      'HOST_NOT_ALLOWED',
      `Host "${host}" is not allowed: pulse-mock listens on loopback and answers only localhost and loopback addresses (a guard against DNS rebinding). To reach it by this name, start it with --allowed-host ${host.replace(/:\d+$/, '') || '<name>'} (or PULSE_MOCK_ALLOWED_HOST, or "allowedHosts" in the config file).`,
      { host },
    ),
  crossSiteRefused: (origin: string | undefined) =>
    new PulseMockError(
      403,
      'CROSS_SITE_REFUSED',
      `The admin API answers its own portal page and non-browser clients only; a request from another site${origin ? ` (Origin ${origin})` : ''} is refused.`,
      origin ? { origin } : {},
    ),
  endpointNotFound: (id: string) =>
    new PulseMockError(404, 'ENDPOINT_NOT_FOUND', `No endpoint with id "${id}".`, { endpoint_id: id }),
  faultNotFound: (id: string) =>
    new PulseMockError(404, 'FAULT_NOT_FOUND', `No fault rule with id "${id}".`, { fault_id: id }),
  messageNotFound: (id: string, endpointId?: string) =>
    new PulseMockError(
      404,
      'MESSAGE_NOT_FOUND',
      `No message with id "${id}"${endpointId ? ` for endpoint ${endpointId}` : ''}.`,
      endpointId ? { message_id: id, endpoint_id: endpointId } : { message_id: id },
    ),
  /** The same refusal thrown to code that called the mock directly (not through HTTP): said to come from pulse-mock. */
  inCode: (e: PulseMockError) =>
    new PulseMockError(e.status, e.code, `[pulse-mock] ${e.message}`, e.details, e.headers),
  /** An API error injected by a fault rule (the same from the server and from msw). */
  injected: (status: 429 | 500 | 503, retryAfterS?: number) =>
    new PulseMockError(
      status,
      status === 429 ? 'RATE_LIMITED' : status === 503 ? 'SERVICE_UNAVAILABLE' : 'INTERNAL_ERROR',
      `${status === 429 ? 'Too many requests; retry later.' : status === 503 ? 'Service temporarily unavailable; retry later.' : 'Internal server error.'} (injected by pulse-mock)`,
      { injected: true },
      retryAfterS !== undefined ? { 'retry-after': String(retryAfterS) } : {},
    ),
};

/** The FILE_00x code whose meaning fits a failure's message best (FILE_003, corrupted, otherwise). */
function fileErrorCode(message: string): string {
  if (/password/i.test(message)) return 'FILE_006';
  if (/download/i.test(message)) return 'FILE_005';
  if (/\bempty\b/i.test(message)) return 'FILE_004';
  return 'FILE_003';
}
