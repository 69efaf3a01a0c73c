import { stopwatch, wallDelay } from '../clock.js';
import { errors, PulseMockError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';
import { readBody, type BodySource } from './body.js';
import type { ApiRouter } from './router.js';
import type { ApiRouteSpec } from './contract.js';
import { validationMessage, validatorFor } from './validator.js';
import type { ReplayPlan } from '../recording/replayer.js';
import { TERMINAL_STATUSES } from '../core/events.js';

/** A request to Pulse's API as an adapter hands it over, whichever way it arrived. */
export interface ApiRequest {
  method: string;
  /** The path without the query string (for the request log). */
  path: string;
  /** Path parameters, as the router matched them. */
  params: Record<string, string>;
  /** Query parameters (the first value of each). */
  query: Record<string, string>;
  /** A request header by its lower-case name. */
  header: (name: string) => string | undefined;
  body: BodySource;
  /** The origin the caller used to reach us. */
  baseUrl: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  /** A JSON value (a Pulse body, or Pulse's error shape), or a file's bytes (`content-type` in `headers`). */
  body: unknown;
}

export interface PipelineOptions {
  /** The routes it serves (`new ApiRouter(apiRouteSpecs())`): one router for both adapters. */
  router: ApiRouter;
  /** The token `POST /webhook` puts in the portal link. */
  portalToken: string;
  /** Called with anything unexpected that became a 500 (a bug in the mock). */
  onInternalError?: (err: unknown) => void;
}

/**
 * The one way a request to Pulse's API is served, by the fastify server and by the msw
 * handlers alike. In order: the API key; API fault rules (each authenticated request to a route
 * counts, before its body is read, as a gateway's rate limiter would count it); the path
 * parameters; the body, read within the body limit, parsed and validated against the route's
 * schema; the operation; Pulse's error shape for every refusal; the request log.
 */
export class RequestPipeline {
  constructor(
    readonly runtime: Runtime,
    readonly options: PipelineOptions,
  ) {}

  /** Routes a request by its method and path, then serves it; no route is Pulse's 404 or 405. */
  async serve(req: Omit<ApiRequest, 'params'>): Promise<ApiResponse> {
    const match = this.options.router.find(req.method, req.path);
    if ('error' in match) return errorResponse(match.error);
    return this.handle(match.spec, { ...req, params: match.params });
  }

  readonly #routeTo = (method: ApiRouteSpec['method'], pattern: string) =>
    this.options.router.byPattern(method, pattern);

  async handle(spec: ApiRouteSpec, req: ApiRequest): Promise<ApiResponse> {
    const { core, faults, requests, clock } = this.runtime;
    const elapsed = stopwatch();
    let fault: string | undefined;
    let res: ApiResponse;
    try {
      // A route that hands out signed links (a large result's url) takes the link's token instead
      // of the key: the handler checks it. Every other request needs the key.
      if (!(spec.signedLink && req.query.token !== undefined)) core.authenticate(req.header('x-api-key'));
      const decision = faults.forApi(spec.route);
      if (decision.applied.length) fault = decision.applied.join('; ');
      if (decision.latencyMs) await wallDelay(decision.latencyMs);
      if (decision.error) throw errors.injected(decision.error.status, decision.error.retryAfterS);
      if (spec.schema.params) this.#validate(spec.schema.params, req.params, 'params');
      if (spec.schema.querystring) this.#validate(spec.schema.querystring, req.query, 'query');
      let fields: Record<string, unknown> = {};
      let upload;
      if (spec.readsBody) {
        const { bodyLimit, jsonBodyLimit } = this.runtime.config;
        const parsed = await readBody(
          req.header('content-type'),
          req.header('content-length'),
          req.body,
          spec.jsonCarriesFiles
            ? { upload: bodyLimit, json: bodyLimit, jsonFlag: '--body-limit' }
            : { upload: bodyLimit, json: jsonBodyLimit, jsonFlag: '--json-body-limit' },
        );
        // JSON that may carry base64 files is read with the upload limit; everything in it besides
        // those files is held to the JSON limit (a 100k-property input_schema is no file).
        if (spec.jsonCarriesFiles && parsed.contentType === 'application/json') {
          const rest = bytesBesideFiles(parsed.value);
          if (rest > jsonBodyLimit) throw errors.bodyTooLarge(jsonBodyLimit, '--json-body-limit, besides base64 files');
        }
        const schema = spec.schema.body?.content[parsed.contentType]?.schema;
        if (schema) this.#validate(schema, parsed.value, 'body');
        fields = parsed.value as Record<string, unknown>;
        upload = parsed.upload;
      }
      const replayer = this.runtime.replayer;
      const replayable = replayer !== undefined && spec.method === 'POST' && spec.route !== 'webhook';
      const plan = replayable ? replayer.match(req.method, spec.route, fields, upload) : undefined;
      if (replayable && !plan && replayer.strict) throw errors.notRecorded(req.method, req.path);
      const out = await spec.handle({
        core,
        operations: this.runtime.operations,
        params: req.params,
        query: req.query,
        fields,
        ...(upload ? { upload } : {}),
        header: req.header,
        baseUrl: req.baseUrl,
        portalToken: this.options.portalToken,
        routeTo: this.#routeTo,
      });
      res = plan ? this.#replayed(plan, out) : { status: out.status, headers: out.headers ?? {}, body: out.body };
    } catch (e) {
      if (!(e instanceof PulseMockError)) (this.options.onInternalError ?? reportInternalError)(e);
      res = errorResponse(e instanceof PulseMockError ? e : errors.bug(e));
    }
    // One shape for every record (absent fields are undefined): this runs on every API call.
    requests.add({
      at: clock.now(),
      method: req.method,
      route: spec.route,
      path: req.path,
      status: res.status,
      ms: elapsed(),
      jobId: req.params.jobId || undefined,
      fault,
    });
    return res;
  }

  /**
   * The answer to a request that matched a recording. The operation ran as usual (its ids, its
   * job, its stored extraction, its webhooks); the body is the recording's with those ids. An
   * async job answers its recorded result when polled, and ends as the recording did.
   */
  #replayed(plan: ReplayPlan, out: { status: number; headers?: Record<string, string>; body: unknown }): ApiResponse {
    const { core, replayer } = this.runtime;
    const recorded = plan.recording.response;
    const headers = out.headers ?? {};
    const jobId = (out.body as { job_id?: unknown } | null)?.job_id;
    const job = typeof jobId === 'string' ? core.jobs.get(jobId) : undefined;
    if (job && !TERMINAL_STATUSES.has(job.status)) {
      job.replay = { result: plan.result };
      if (plan.outcome?.status === 'failed') {
        job.plannedOutcome = 'failed';
        if (plan.outcome.error !== undefined) job.plannedError = plan.outcome.error;
      }
      // A recorded submission answers as recorded; a recorded sync answer leaves the mock's own.
      const wasAsync = plan.recording.lifecycle !== undefined;
      return { status: out.status, headers, body: wasAsync ? replayer!.rewrite(recorded.body, out.body) : out.body };
    }
    if (recorded.status >= 400) return { status: recorded.status, headers: {}, body: recorded.body };
    // A recorded job that failed, asked for synchronously: a sync failure, as the mock answers one.
    if (plan.outcome?.status === 'failed')
      throw errors.syncFailed(plan.outcome.error ?? 'Job failed.', `recording ${plan.recording.request.path}`);
    return { status: out.status, headers, body: replayer!.rewrite(plan.result, out.body) };
  }

  #validate(schema: object, value: unknown, context: 'body' | 'params' | 'query'): void {
    const validate = validatorFor(schema);
    if (!validate(value)) {
      const message = validationMessage(context, validate.errors);
      throw errors.invalidBody(`Invalid request ${context}: ${message}`, { errors: validate.errors });
    }
  }
}

/** Pulse's error shape, with the error's headers (`Retry-After`). */
function errorResponse(err: PulseMockError): ApiResponse {
  return { status: err.status, headers: err.headers, body: err.toBody() };
}

/** What a bug that reached a client is told by default: the console, with its stack. */
export function reportInternalError(err: unknown): void {
  console.error('[pulse-mock] internal error', err);
}

/**
 * The size of a JSON body with its base64 files left out: `excel_template` strings, and the
 * `content` of `{ filename, content }` items (batch `files`).
 */
export function bytesBesideFiles(value: unknown): number {
  return Buffer.byteLength(
    JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
      if (typeof v !== 'string') return v;
      if (key === 'excel_template' || (key === 'content' && typeof this.filename === 'string')) return '';
      return v;
    }) ?? '',
  );
}
