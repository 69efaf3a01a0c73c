/**
 * The mock's controls, once: fault rules, webhook endpoints, the delivery log, the request log and
 * the jobs, with their validation and limits. The admin API (`/_mock/...`, the portal's client)
 * and the controls a test gets in code (`createPulseMock`, `createPulseMsw`, ...) are thin
 * bindings over it: the same checks, the same public views (plain JSON values, never the stores'
 * live records), whichever way a control is driven.
 */
import ms, { type StringValue } from 'ms';
import { LIMITS } from './api/limits.js';
import type { RequestOverrides } from './core/overrides.js';
import type { ExtractOperation } from './operations/extract/index.js';
import { normalizeExtractRequest } from './operations/extract/request.js';
import { unchecked } from './unchecked.js';
import type { DocumentRule } from './core/documents.js';
import { errors } from './core/errors.js';
import { JOB_EVENT_TYPES, jobEvent, type JobEventType, type JobStatus } from './core/events.js';
import type { JobRecord } from './core/job-store.js';
import type { RequestRecord } from './core/request-log.js';
import type { DeliveryFilter, LogPage } from './delivery/delivery-log.js';
import { endpointView, type EndpointInput } from './delivery/endpoints.js';
import { deliveryView } from './delivery/views.js';
import type { Delivery } from './delivery/types.js';
import { explain, type FaultRule } from './faults/fault-plan.js';
import { parseFaultRules } from './faults/validate.js';
import type { Runtime } from './runtime.js';

/** A webhook endpoint as the controls show it (its secrets included: it is the developer's own mock). */
export type EndpointView = ReturnType<typeof endpointView>;
/** One message to one endpoint, with every attempt, as the controls show it. */
export type DeliveryView = ReturnType<typeof deliveryView>;
/** A fault rule in force, with its id and what it does in words. */
export type FaultView = FaultRule & { id: string; explanation: string };
/** A request a client made of the API, and what it got. */
export type RequestView = Omit<RequestRecord, 'at'> & { at: string };

/** A job the mock holds. */
export interface JobView {
  id: string;
  kind: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  pages: number;
  error: string | null;
  /** The batch it is an item of. */
  parentId: string | null;
}

/** Which deliveries `messages()` and `waitForDelivery()` mean. */
export type MessageFilter = Pick<DeliveryFilter, 'jobId' | 'eventType' | 'endpointId' | 'status' | 'messageId'>;

export function jobView(job: JobRecord): JobView {
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    createdAt: new Date(job.createdAt).toISOString(),
    updatedAt: new Date(job.updatedAt).toISOString(),
    pages: job.pages,
    error: job.error ?? null,
    parentId: job.parentId ?? null,
  };
}

const faultView = (r: FaultRule): FaultView => ({ ...r, id: r.id as string, explanation: explain(r) });
const TEST_STATUS = {
  'job.created': 'pending',
  'job.processing': 'processing',
  'job.completed': 'completed',
  'job.failed': 'failed',
  'job.cancelled': 'canceled',
} as const satisfies Record<JobEventType, JobStatus>;

/** The controls over whatever runtime `rt()` returns now (msw's `reset()` swaps it). */
export class ControlService {
  constructor(private readonly rt: () => Runtime) {}

  /**
   * A real job run to `event`'s end (`pulse-mock trigger`): an async extract of `fileUrl` that
   * completes, fails, or is cancelled once it is processing, so every `job.*` event of it goes out
   * and `GET /job/{id}` answers it.
   */
  async trigger(event: unknown, fileUrl = 'https://example.com/invoice.pdf'): Promise<JobView> {
    if (event !== 'job.completed' && event !== 'job.failed' && event !== 'job.cancelled')
      throw errors.invalidParameter('event', 'event must be job.completed, job.failed or job.cancelled.', event);
    const rt = this.rt();
    const extract = this.#extract();
    const req = normalizeExtractRequest({ file_url: fileUrl, async: true });
    const overrides: RequestOverrides =
      event === 'job.failed'
        ? { outcome: 'failed', error: 'The document could not be processed (pulse-mock trigger).' }
        : event === 'job.cancelled'
          ? // Long enough to be cancelled while processing, whatever --processing-ms says.
            { processingMs: 86_400_000 }
          : {};
    const submitted = await rt.core.submit('extract', extract.submission(req, overrides));
    const id = submitted.body.job_id;
    if (event === 'job.cancelled') {
      const off = rt.core.onEvent((ev) => {
        if (ev.jobId !== id || ev.type !== 'job.processing') return;
        off();
        rt.core.cancelJob(id);
      });
    }
    return jobView(rt.core.jobs.get(id)!);
  }

  /** A job record for a test event: an extract of a test document, in `status`. */
  #testJob(status: JobStatus): JobRecord {
    const rt = this.rt();
    const extract = this.#extract();
    const req = normalizeExtractRequest({ file_url: 'https://example.com/test-event-invoice.pdf' });
    const document = extract.describeDocument(req);
    const job = rt.core.recordSync('extract', {
      data: { request: req, document, extractionId: rt.core.newId(), largeResultFetched: false },
      pages: document.pages.length,
    });
    job.status = status;
    if (status === 'failed') job.error = 'Test failure';
    return job;
  }

  /** The extract operation's instance: registered under `extract` by builtInOperations, made by its module. */
  #extract(): ExtractOperation {
    return unchecked<ExtractOperation>(this.rt().operations.get('extract'));
  }

  jobs(filter: { status?: JobStatus } = {}): JobView[] {
    return this.rt().core.jobs.list(filter).map(jobView);
  }

  requests(filter: { route?: string; jobId?: string; method?: string } = {}): RequestView[] {
    return this.rt()
      .requests.list(filter)
      .map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
  }

  /** Document rules added while running: what a document is, and the facts it states. */
  readonly documents = {
    list: (): DocumentRule[] => this.rt().core.documents.list(),
    add: (rule: unknown, where = 'rule'): DocumentRule => {
      if (this.rt().core.documents.list().length >= LIMITS.documentRules)
        throw errors.invalidParameter(where, `At most ${LIMITS.documentRules} document rules; clear some first.`);
      if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
        throw errors.invalidParameter(
          where,
          `${where} must be an object: { "match", "kind", "pages", "title", "facts" }.`,
        );
      return this.rt().core.documents.add(rule as DocumentRule, where);
    },
    clear: (): void => this.rt().core.documents.clear(),
  };

  readonly faults = {
    list: (): FaultView[] => this.rt().faults.list().map(faultView),
    /** Replaces every rule; `where` names the input in a refusal (`rules`, `faults`). */
    set: (input: unknown, where = 'rules'): FaultView[] => {
      if (Array.isArray(input) && input.length > LIMITS.faultRules)
        throw errors.invalidParameter(where, `At most ${LIMITS.faultRules} fault rules are in force at once.`);
      const rules = rulesFrom(input, where, this.rt().routeNames);
      this.rt().faults.set(rules);
      return this.faults.list();
    },
    add: (input: unknown, where = 'rule'): FaultView => {
      const [rule] = rulesFrom([input], where, this.rt().routeNames);
      if (this.rt().faults.list().length >= LIMITS.faultRules)
        throw errors.invalidParameter(
          'rule',
          `At most ${LIMITS.faultRules} fault rules are in force at once; remove some first.`,
        );
      return faultView(this.rt().faults.add(rule as FaultRule));
    },
    /** False when no rule has this id. */
    remove: (id: string): boolean => this.rt().faults.remove(id),
    clear: (): void => this.rt().faults.set([]),
  };

  /** A delivery as the controls show it, with the signature headers by this mock's names. */
  readonly #view = (d: Delivery): DeliveryView => deliveryView(d, this.rt().config.headerPrefix);

  readonly endpoints = {
    list: (): EndpointView[] => this.rt().endpoints.list().map(endpointView),
    get: (id: string): EndpointView => endpointView(this.rt().endpoints.require(id)),
    add: (input: EndpointInput): EndpointView =>
      endpointView(this.rt().endpoints.add({ ...input, basicAuth: input.basicAuth ?? undefined })),
    update: (id: string, patch: Partial<EndpointInput>): EndpointView =>
      endpointView(this.rt().endpoints.update(id, patch)),
    remove: (id: string): void => this.rt().endpoints.delete(id),
    /** A new signing secret; the old one keeps signing for `graceMs` (default `--rotation-grace-ms`). */
    rotateSecret: (id: string, options: { graceMs?: number; secret?: string } = {}): EndpointView => {
      const rt = this.rt();
      return endpointView(rt.endpoints.rotateSecret(id, options.graceMs ?? rt.config.rotationGraceMs, options.secret));
    },
    /** Sends a made-up event of `eventType` (default `job.completed`) to this endpoint only. */
    test: (id: string, eventType: JobEventType = 'job.completed'): DeliveryView => {
      if (!JOB_EVENT_TYPES.includes(eventType))
        throw errors.invalidParameter(
          'eventType',
          `eventType must be one of ${JOB_EVENT_TYPES.join(', ')}.`,
          eventType,
        );
      const rt = this.rt();
      const ep = rt.endpoints.require(id);
      const now = rt.core.clock.now();
      const status = TEST_STATUS[eventType];
      // A job the API answers (a consumer that fetches it, as Pulse advises, gets a 200): an
      // extract of a test document, in the status the event says.
      const job = this.#testJob(status);
      const ev = jobEvent(
        eventType,
        {
          id: job.id,
          status,
          createdAt: job.createdAt,
          pagesProcessed: status === 'completed' ? job.pages : 0,
          ...(job.error !== undefined ? { error: job.error } : {}),
        },
        now,
      );
      const [d] = rt.dispatcher.publish({ type: eventType, payload: ev.payload }, [ep]);
      return this.#view(d as NonNullable<typeof d>);
    },
    /** Sends again every failed message of this endpoint since `since` (an ISO time; default: all). */
    recover: (id: string, since?: string): DeliveryView[] => {
      // An ISO time, or a span back from now on the mock's clock (`10m`, `2h`).
      const span =
        since !== undefined && /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/.test(since.trim())
          ? ms(since.trim() as StringValue)
          : undefined;
      const from = since === undefined ? 0 : span !== undefined ? this.rt().core.clock.now() - span : Date.parse(since);
      if (Number.isNaN(from))
        throw errors.invalidParameter(
          'since',
          'since must be an ISO date-time or a span back from now, such as 10m.',
          since,
        );
      return this.rt().dispatcher.recover(id, from).map(this.#view);
    },
  };

  readonly messages = {
    list: (filter: MessageFilter & { limit?: number } = {}): DeliveryView[] =>
      this.rt().dispatcher.log.list(filter).map(this.#view),
    counts: () => this.rt().dispatcher.log.counts(),
    /** One page of the log (newest first with `order: 'desc'`), and how many match in all. */
    page: (filter: MessageFilter & { search?: string }, page: LogPage): { data: DeliveryView[]; total: number } => {
      const { items, total } = this.rt().dispatcher.log.page(filter, page);
      return { data: items.map(this.#view), total };
    },
    /**
     * Every delivery of one message (one per endpoint, and duplicates), or 404; each with the
     * headers its attempts carried besides the signature's (`headers`; null once its endpoint is
     * deleted).
     */
    get: (messageId: string): (DeliveryView & { headers: Record<string, string> | null })[] => {
      const rt = this.rt();
      const data = rt.dispatcher.log.byMessage(messageId);
      if (data.length === 0) throw errors.messageNotFound(messageId);
      return data.map((d) => {
        const ep = rt.endpoints.get(d.endpointId);
        return { ...this.#view(d), headers: ep ? rt.dispatcher.sentHeaders(ep) : null };
      });
    },
    /** Sends a message again (same webhook-id, fresh timestamp and signature), to one endpoint or all it went to. */
    resend: (messageId: string, endpointId?: string): DeliveryView[] =>
      this.rt().dispatcher.resend(messageId, endpointId).map(this.#view),
  };
}

/** Fault rules checked as the config file's are, their routes against the runtime's; a refusal is a 400 naming `where`. */
function rulesFrom(input: unknown, where: string, routes: readonly string[]): FaultRule[] {
  try {
    return parseFaultRules(input, where, routes);
  } catch (e) {
    throw errors.invalidParameter(where, `Invalid fault rule: ${(e as Error).message}`);
  }
}
