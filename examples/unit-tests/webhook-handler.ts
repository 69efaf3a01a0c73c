/**
 * A user's Pulse webhook handler in fetch style (Request in, Response out): verifies with
 * standardwebhooks, dedupes on webhook-id, hands finished jobs on. Unit-tested in
 * webhook-handler.test.ts with pulse-mock's signWebhook / webhookRequest.
 */
import { Webhook } from 'standardwebhooks';

export function createWebhookHandler(o: { secret: string; onJobFinished: (jobId: string, status: string) => void }) {
  const webhook = new Webhook(o.secret);
  const seen = new Set<string>();
  return async (request: Request): Promise<Response> => {
    const body = await request.text();
    let event: { type: string; data: { job_id: string; status: string } };
    try {
      event = webhook.verify(body, Object.fromEntries(request.headers)) as typeof event;
    } catch {
      return new Response('invalid signature', { status: 401 });
    }
    const id = request.headers.get('webhook-id') as string;
    if (seen.has(id)) return new Response('duplicate', { status: 200 });
    seen.add(id);
    if (event.type === 'job.completed' || event.type === 'job.failed')
      o.onJobFinished(event.data.job_id, event.data.status);
    return new Response(null, { status: 204 });
  };
}
