import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BusUnavailableError } from '../../../core/broker/broker.js';
import type { PusherTelemetry } from '../pusher-telemetry.js';
import { apiError, type Checked } from './api-reply.js';
import { jsonBody, verifyApiRequest, type SignatureSettings, type SignedRequest } from './signed-request.js';
import { channelInfo, planEvent, runEvents, type PlannedEvent, type TriggerDeps } from './trigger-plan.js';

export interface EventsRouteDeps extends TriggerDeps {
  signature: SignatureSettings;
  telemetry: PusherTelemetry;
}

type Req = FastifyRequest<{ Params: { appId: string } }>;

/**
 * POST /apps/:appId/events and /batch_events. Every event of a request is checked before any is
 * published, so a refused request changed nothing; then they go out in order.
 */
export function registerEventsRoutes(scope: FastifyInstance, deps: EventsRouteDeps): void {
  scope.post('/apps/:appId/events', async (req: Req, reply) => {
    const signed = verifyApiRequest(req, reply, deps.signature);
    if (!signed) return reply;
    const body = jsonBody(signed.body);
    if (!body) return apiError(reply, 400, 'the body must be a JSON object {name, data, channels}');
    const plan = await planEvent(signed.app, body, deps);
    return publish(req, reply, signed, plan.ok ? { ok: true, value: [plan.value] } : plan, (plans, occupied) => {
      const p = plans[0]!;
      if (!p.info) return {};
      const channels: Record<string, Record<string, number>> = {};
      for (const c of [...p.channels.map((x) => x.name), ...p.roomChats.map((x) => x.channel)]) channels[c] = channelInfo(c, p.info, occupied);
      return { channels };
    });
  });

  scope.post('/apps/:appId/batch_events', async (req: Req, reply) => {
    const signed = verifyApiRequest(req, reply, deps.signature);
    if (!signed) return reply;
    const batch = jsonBody(signed.body)?.batch;
    if (!Array.isArray(batch) || batch.length === 0) return apiError(reply, 400, 'the body must be a JSON object {batch: [{channel, name, data}, ...]}');
    if (batch.length > signed.app.maxEventBatchSize) return apiError(reply, 400, `a batch may hold at most ${signed.app.maxEventBatchSize} events`);
    const plans: PlannedEvent[] = [];
    for (const raw of batch) {
      const plan = await planEvent(signed.app, raw, deps);
      if (!plan.ok) return publish(req, reply, signed, plan, () => ({}));
      plans.push(plan.value);
    }
    return publish(req, reply, signed, { ok: true, value: plans }, (ps, occupied) => {
      if (!ps.some((p) => p.info)) return {};
      return { batch: ps.map((p) => (p.info ? channelInfo(p.channels[0]?.name ?? p.roomChats[0]!.channel, p.info, occupied) : {})) };
    });
  });

  async function publish(
    req: Req,
    reply: FastifyReply,
    signed: SignedRequest,
    planned: Checked<PlannedEvent[]>,
    answer: (plans: PlannedEvent[], occupied: ReadonlyMap<string, { subscriptions: number; users: number }>) => object,
  ): Promise<FastifyReply> {
    if (!planned.ok) {
      req.log.info({ app: signed.app.id, status: planned.status }, 'pusher event refused');
      return apiError(reply, planned.status, planned.message);
    }
    try {
      await runEvents(signed.app, planned.value, deps);
    } catch (err) {
      if (!(err instanceof BusUnavailableError)) throw err;
      return apiError(reply, 503, 'the event could not be published now: the server cannot reach the other nodes');
    }
    deps.telemetry.eventsAccepted('api', planned.value.length);
    const occupied = planned.value.some((p) => p.info) ? await deps.hub.occupied(signed.app.id) : new Map();
    return reply.send(answer(planned.value, occupied));
  }
}
