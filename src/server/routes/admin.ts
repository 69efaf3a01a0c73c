import type { FastifyPluginAsync } from 'fastify';
import { LIMITS } from '../../api/limits.js';
import { Type } from '../../api/json-schema.js';
import { errors } from '../../core/errors.js';
import { JOB_EVENT_TYPES, JOB_STATUSES, type JobEventType, type JobStatus } from '../../core/events.js';
import { ControlService } from '../../control.js';
import type { EndpointInput } from '../../delivery/endpoints.js';
import { DELIVERY_STATES, type DeliveryStatus } from '../../delivery/types.js';
import { deliveryView } from '../../delivery/views.js';
import type { Runtime } from '../../runtime.js';
import { checkAdminAccess, type AdminAccess } from '../guard.js';

/**
 * The admin API under `/_mock/`: fault rules, endpoints (add, list, update, delete, rotate
 * secret, send a test event, recover failed messages), the delivery log (filter, inspect,
 * resend), the request log and the jobs. Each route is a binding over the `ControlService` the
 * controls in code use too. The portal page is a client of this API.
 */
const EventType = Type.Union(JOB_EVENT_TYPES.map((t) => Type.Literal(t)));
const EndpointFields = {
  url: Type.String({
    maxLength: LIMITS.urlLength,
    description: 'Consumer URL (http or https); user:password@ in it is used as basicAuth.',
  }),
  description: Type.Optional(Type.String({ maxLength: LIMITS.textLength })),
  eventTypes: Type.Optional(
    Type.Array(EventType, {
      maxItems: JOB_EVENT_TYPES.length,
      description: 'Event types to receive; empty or absent = all.',
    }),
  ),
  headers: Type.Optional(
    Type.Record(Type.String(), Type.String({ maxLength: LIMITS.headerValueLength }), {
      maxProperties: LIMITS.endpointHeaders,
      description: 'Extra headers on every delivery (printable ASCII; not the ones a delivery sets).',
    }),
  ),
  basicAuth: Type.Optional(
    Type.Union([
      Type.Object(
        {
          username: Type.String({ maxLength: LIMITS.credentialLength }),
          password: Type.String({ maxLength: LIMITS.credentialLength }),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
  ),
  secret: Type.Optional(Type.String({ maxLength: 200, description: 'whsec_ secret; generated when absent.' })),
  disabled: Type.Optional(Type.Boolean()),
};
const EndpointBody = Type.Object(EndpointFields, { additionalProperties: false });
const EndpointPatch = Type.Partial(Type.Object(EndpointFields), { additionalProperties: false });
const Id = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const tags = ['mock admin'];

export const adminRoutes: FastifyPluginAsync<{ runtime: Runtime; access: AdminAccess }> = async (
  app,
  { runtime, access },
) => {
  // `curl -X POST .../resend` sends no body at all: treat it as {} so optional bodies stay optional.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {};
  });
  // Documented without the x-api-key scheme: the admin API is the mock's own, not Pulse's.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [] };
  });

  // Before the body is read: a page of another site changes nothing, with a body or without.
  app.addHook('onRequest', (request, _reply, done) => {
    try {
      checkAdminAccess(request, access);
    } catch (e) {
      return done(e as Error);
    }
    done();
  });

  const control = new ControlService(() => runtime);
  app.get('/_mock/faults', { schema: { tags, summary: 'Fault rules in force' } }, async () => ({
    data: control.faults.list(),
  }));
  app.put<{ Body: { rules?: unknown } }>(
    '/_mock/faults',
    {
      schema: {
        tags,
        summary: 'Replace every fault rule',
        body: Type.Object(
          { rules: Type.Array(Type.Unknown(), { maxItems: LIMITS.faultRules }) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ data: control.faults.set(request.body.rules, 'rules') }),
  );
  app.post<{ Body: unknown }>(
    '/_mock/faults',
    { schema: { tags, summary: 'Add a fault rule' } },
    async (request, reply) => reply.code(201).send(control.faults.add(request.body)),
  );
  app.delete('/_mock/faults', { schema: { tags, summary: 'Remove every fault rule' } }, async () => {
    control.faults.clear();
    return { data: [] };
  });
  app.get(
    '/_mock/documents',
    { schema: { tags, summary: "Document rules: those added, then the config's" } },
    async () => ({
      data: control.documents.list(),
    }),
  );
  app.post<{ Body: unknown }>(
    '/_mock/documents',
    {
      schema: {
        tags,
        summary: 'Add a document rule (it wins over the others): kind, pages, title and facts of matching documents',
        body: Type.Object(
          {
            match: Type.String({ minLength: 1, maxLength: 1000 }),
            kind: Type.Optional(Type.String()),
            pages: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
            title: Type.Optional(Type.String({ maxLength: 1000 })),
            facts: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { maxProperties: 100 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) => reply.code(201).send(control.documents.add(request.body, 'body')),
  );
  app.delete(
    '/_mock/documents',
    { schema: { tags, summary: 'Remove the document rules added while running' } },
    async () => {
      control.documents.clear();
      return { data: control.documents.list() };
    },
  );
  app.delete<{ Params: { id: string } }>('/_mock/faults/:id', { schema: { tags, params: Id } }, async (request) => {
    if (!control.faults.remove(request.params.id)) throw errors.faultNotFound(request.params.id);
    return { id: request.params.id, deleted: true };
  });
  app.get<{ Querystring: { route?: string; jobId?: string; method?: string } }>(
    '/_mock/requests',
    {
      schema: {
        tags,
        summary: "The API request log (what clients called, e.g. a consumer's GET /job/{id})",
        querystring: Type.Object(
          {
            route: Type.Optional(Type.String()),
            jobId: Type.Optional(Type.String()),
            method: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ data: control.requests(request.query) }),
  );
  app.get<{ Querystring: { status?: JobStatus } }>(
    '/_mock/jobs',
    {
      schema: {
        tags,
        summary: 'The jobs the mock holds, oldest first',
        querystring: Type.Object(
          { status: Type.Optional(Type.Union(JOB_STATUSES.map((s) => Type.Literal(s)))) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => ({ data: control.jobs(request.query) }),
  );

  app.get('/_mock/endpoints', { schema: { tags, summary: 'List webhook endpoints' } }, async () => ({
    data: control.endpoints.list(),
  }));

  app.post<{ Body: EndpointInput }>(
    '/_mock/endpoints',
    { schema: { tags, summary: 'Add a webhook endpoint', body: EndpointBody } },
    async (request, reply) => reply.code(201).send(control.endpoints.add(request.body)),
  );

  app.get<{ Params: { id: string } }>('/_mock/endpoints/:id', { schema: { tags, params: Id } }, async (request) =>
    control.endpoints.get(request.params.id),
  );

  app.patch<{ Params: { id: string }; Body: Partial<EndpointInput> }>(
    '/_mock/endpoints/:id',
    { schema: { tags, summary: 'Update an endpoint', params: Id, body: EndpointPatch } },
    async (request) => control.endpoints.update(request.params.id, request.body),
  );

  app.delete<{ Params: { id: string } }>('/_mock/endpoints/:id', { schema: { tags, params: Id } }, async (request) => {
    control.endpoints.remove(request.params.id);
    return { id: request.params.id, deleted: true };
  });

  app.post<{ Params: { id: string }; Body: { graceMs?: number; secret?: string } | undefined }>(
    '/_mock/endpoints/:id/rotate-secret',
    {
      schema: {
        tags,
        summary: 'Rotate the signing secret; the old one keeps signing for graceMs',
        params: Id,
        body: Type.Object(
          {
            graceMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 604_800_000 })),
            secret: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => control.endpoints.rotateSecret(request.params.id, request.body ?? {}),
  );

  app.post<{ Params: { id: string }; Body: { eventType?: JobEventType } | undefined }>(
    '/_mock/endpoints/:id/test',
    {
      schema: {
        tags,
        summary: 'Send a test event to this endpoint',
        params: Id,
        body: Type.Object({ eventType: Type.Optional(EventType) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => reply.code(202).send(control.endpoints.test(request.params.id, request.body?.eventType)),
  );

  app.post<{ Params: { id: string }; Body: { since?: string } | undefined }>(
    '/_mock/endpoints/:id/recover',
    {
      schema: {
        tags,
        summary: 'Send again every failed message of this endpoint since a time',
        params: Id,
        body: Type.Object(
          { since: Type.Optional(Type.String({ description: 'ISO time; default: all' })) },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const data = control.endpoints.recover(request.params.id, request.body?.since);
      return { recovered: data.length, data };
    },
  );

  app.get<{
    Querystring: {
      jobId?: string;
      eventType?: string;
      endpointId?: string;
      status?: DeliveryStatus;
      search?: string;
      limit?: number;
      offset?: number;
      order?: 'asc' | 'desc';
    };
  }>(
    '/_mock/messages',
    {
      schema: {
        tags,
        summary: 'The delivery log: messages and their attempts, a page at a time',
        querystring: Type.Object(
          {
            jobId: Type.Optional(Type.String()),
            eventType: Type.Optional(Type.String()),
            endpointId: Type.Optional(Type.String()),
            status: Type.Optional(Type.Union(DELIVERY_STATES.map((s) => Type.Literal(s)))),
            search: Type.Optional(
              Type.String({ maxLength: 200, description: 'Part of the job id or the message id (any case)' }),
            ),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'Page size; default 1000' })),
            offset: Type.Optional(
              Type.Integer({ minimum: 0, description: 'Skip this many of the newest matches (the next page back)' }),
            ),
            order: Type.Optional(
              Type.Union([Type.Literal('asc'), Type.Literal('desc')], {
                description: 'asc (default): oldest first; desc: newest first',
              }),
            ),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { limit = 1000, offset, order, ...filter } = request.query;
      const page = control.messages.page(filter, { limit, order, ...(offset !== undefined ? { offset } : {}) });
      return { ...page, counts: control.messages.counts() };
    },
  );

  app.post<{ Body: { event: string; file_url?: string } }>(
    '/_mock/trigger',
    {
      schema: {
        tags,
        summary: 'Run a real job to an end (its every job.* event goes out; GET /job/{id} answers it)',
        body: Type.Object(
          {
            event: Type.Union([
              Type.Literal('job.completed'),
              Type.Literal('job.failed'),
              Type.Literal('job.cancelled'),
            ]),
            file_url: Type.Optional(Type.String({ maxLength: 2048 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request, reply) =>
      reply.code(201).send({ data: await control.trigger(request.body.event, request.body.file_url) }),
  );

  app.get<{ Querystring: { requests?: boolean; deliveries?: boolean } }>(
    '/_mock/stream',
    {
      schema: {
        tags,
        summary:
          'Server-sent events: each API request (`request`) and each delivery change (`delivery`), as they happen',
        querystring: Type.Object(
          { requests: Type.Optional(Type.Boolean()), deliveries: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
      },
    },
    (request, reply) => {
      const { requests = true, deliveries = true } = request.query;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      raw.write(': pulse-mock stream\n\n');
      const send = (event: string, data: unknown) => raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      const offs: (() => void)[] = [];
      if (requests)
        offs.push(runtime.requests.onRecord((r) => send('request', { ...r, at: new Date(r.at).toISOString() })));
      // Each job transition (what `trigger` waits on, whether or not an endpoint listens).
      offs.push(
        runtime.core.onEvent((ev) =>
          send('job', { jobId: ev.jobId, type: ev.type, at: new Date(ev.at).toISOString() }),
        ),
      );
      if (deliveries) {
        // One event per attempt that ended, and per delivery that ended without one (dropped):
        // not per internal change (queued, sending).
        const seen = new Map<string, number>();
        offs.push(
          runtime.dispatcher.log.watch((d) => {
            const ended = d.status !== 'sending' && d.status !== 'pending';
            const mark = d.attempts.length + (ended ? 0.5 : 0);
            if (!ended && d.attempts.length === 0) return;
            if ((seen.get(d.key) ?? -1) >= mark) return;
            seen.set(d.key, mark);
            if (seen.size > 10_000) seen.clear();
            send('delivery', deliveryView(d, runtime.config.headerPrefix));
          }),
        );
      }
      // The response's close, not the request's: a GET's request closes as soon as it is read.
      raw.on('close', () => {
        for (const off of offs) off();
      });
    },
  );

  app.get<{ Params: { id: string } }>('/_mock/messages/:id', { schema: { tags, params: Id } }, async (request) => ({
    data: control.messages.get(request.params.id),
  }));

  app.post<{ Params: { id: string }; Body: { endpointId?: string } | undefined }>(
    '/_mock/messages/:id/resend',
    {
      schema: {
        tags,
        summary: 'Send a message again (same webhook-id, fresh timestamp and signature)',
        params: Id,
        body: Type.Object({ endpointId: Type.Optional(Type.String()) }, { additionalProperties: false }),
      },
    },
    async (request, reply) =>
      reply.code(202).send({ data: control.messages.resend(request.params.id, request.body?.endpointId) }),
  );
};
