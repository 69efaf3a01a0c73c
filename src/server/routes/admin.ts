import type { FastifyPluginAsync } from 'fastify';
import { LIMITS } from '../../api/limits.js';
import { Type } from '../../api/json-schema.js';
import { errors } from '../../core/errors.js';
import { JOB_EVENT_TYPES, jobEvent, type JobEventType } from '../../core/events.js';
import { deliveryView } from '../../delivery/views.js';
import { endpointView, type EndpointInput } from '../../delivery/endpoints.js';
import { DELIVERY_STATES, type DeliveryStatus } from '../../delivery/types.js';
import type { Runtime } from '../../runtime.js';
import { checkAdminAccess, type AdminAccess } from '../guard.js';
import { explain, type FaultRule } from '../../faults/fault-plan.js';
import { parseFaultRules } from '../../faults/validate.js';

/**
 * The admin API under `/_mock/`: endpoints (add, list, update, delete, rotate secret, send a
 * test event, recover failed messages) and the delivery log (filter, inspect, resend). The
 * portal page is a client of this API.
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
  const { endpoints, dispatcher, core } = runtime;
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

  const faultView = (r: FaultRule) => ({ ...r, explanation: explain(r) });
  const rulesFrom = (input: unknown, where: string) => {
    try {
      return parseFaultRules(input, where);
    } catch (e) {
      throw errors.invalidParameter(where, `Invalid fault rule: ${(e as Error).message}`);
    }
  };
  app.get('/_mock/faults', { schema: { tags, summary: 'Fault rules in force' } }, async () => ({
    data: runtime.faults.list().map(faultView),
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
    async (request) => {
      runtime.faults.set(rulesFrom(request.body.rules, 'rules'));
      return { data: runtime.faults.list().map(faultView) };
    },
  );
  app.post<{ Body: unknown }>(
    '/_mock/faults',
    { schema: { tags, summary: 'Add a fault rule' } },
    async (request, reply) => {
      const [rule] = rulesFrom([request.body], 'rule');
      if (runtime.faults.list().length >= LIMITS.faultRules)
        throw errors.invalidParameter(
          'rule',
          `At most ${LIMITS.faultRules} fault rules are in force at once; remove some first.`,
        );
      return reply.code(201).send(faultView(runtime.faults.add(rule as FaultRule)));
    },
  );
  app.delete('/_mock/faults', { schema: { tags, summary: 'Remove every fault rule' } }, async () => {
    runtime.faults.set([]);
    return { data: [] };
  });
  app.delete<{ Params: { id: string } }>('/_mock/faults/:id', { schema: { tags, params: Id } }, async (request) => {
    if (!runtime.faults.remove(request.params.id)) throw errors.faultNotFound(request.params.id);
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
    async (request) => ({
      data: runtime.requests.list(request.query).map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
    }),
  );

  app.get('/_mock/endpoints', { schema: { tags, summary: 'List webhook endpoints' } }, async () => ({
    data: endpoints.list().map(endpointView),
  }));

  app.post<{ Body: EndpointInput }>(
    '/_mock/endpoints',
    { schema: { tags, summary: 'Add a webhook endpoint', body: EndpointBody } },
    async (request, reply) =>
      reply
        .code(201)
        .send(endpointView(endpoints.add({ ...request.body, basicAuth: request.body.basicAuth ?? undefined }))),
  );

  app.get<{ Params: { id: string } }>('/_mock/endpoints/:id', { schema: { tags, params: Id } }, async (request) =>
    endpointView(endpoints.require(request.params.id)),
  );

  app.patch<{ Params: { id: string }; Body: Partial<EndpointInput> }>(
    '/_mock/endpoints/:id',
    { schema: { tags, summary: 'Update an endpoint', params: Id, body: EndpointPatch } },
    async (request) => endpointView(endpoints.update(request.params.id, request.body)),
  );

  app.delete<{ Params: { id: string } }>('/_mock/endpoints/:id', { schema: { tags, params: Id } }, async (request) => {
    endpoints.delete(request.params.id);
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
    async (request) => {
      const grace = request.body?.graceMs ?? runtime.config.rotationGraceMs;
      return endpointView(endpoints.rotateSecret(request.params.id, grace, request.body?.secret));
    },
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
    async (request, reply) => {
      const ep = endpoints.require(request.params.id);
      const type = request.body?.eventType ?? 'job.completed';
      const now = core.clock.now();
      const status = (
        {
          'job.created': 'pending',
          'job.processing': 'processing',
          'job.completed': 'completed',
          'job.failed': 'failed',
          'job.cancelled': 'canceled',
        } as const
      )[type];
      const ev = jobEvent(
        type,
        {
          id: 'test_job_0000',
          status,
          createdAt: now - 12_500,
          pagesProcessed: status === 'completed' ? 3 : 0,
          ...(status === 'failed' ? { error: 'Test failure' } : {}),
        },
        now,
      );
      const [d] = dispatcher.publish({ type, payload: ev.payload }, [ep]);
      return reply.code(202).send(deliveryView(d as NonNullable<typeof d>));
    },
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
      const sinceText = request.body?.since;
      const since = sinceText === undefined ? 0 : Date.parse(sinceText);
      if (Number.isNaN(since)) throw errors.invalidParameter('since', 'since must be an ISO date-time.', sinceText);
      const recovered = dispatcher.recover(request.params.id, since);
      return { recovered: recovered.length, data: recovered.map(deliveryView) };
    },
  );

  app.get<{
    Querystring: { jobId?: string; eventType?: string; endpointId?: string; status?: DeliveryStatus; limit?: number };
  }>(
    '/_mock/messages',
    {
      schema: {
        tags,
        summary: 'The delivery log: messages and their attempts',
        querystring: Type.Object(
          {
            jobId: Type.Optional(Type.String()),
            eventType: Type.Optional(Type.String()),
            endpointId: Type.Optional(Type.String()),
            status: Type.Optional(Type.Union(DELIVERY_STATES.map((s) => Type.Literal(s)))),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const q = request.query;
      const data = dispatcher.log.list({ ...q, limit: q.limit ?? 1000 }).map(deliveryView);
      return { data, counts: dispatcher.log.counts() };
    },
  );

  app.get<{ Params: { id: string } }>('/_mock/messages/:id', { schema: { tags, params: Id } }, async (request) => {
    const data = dispatcher.log.byMessage(request.params.id);
    if (data.length === 0) throw errors.messageNotFound(request.params.id);
    return { data: data.map(deliveryView) };
  });

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
      reply.code(202).send({ data: dispatcher.resend(request.params.id, request.body?.endpointId).map(deliveryView) }),
  );
};
