import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ChannelHub } from '../../../core/channels/channel-hub.js';
import { classifyChannel } from '../../../protocol/pusher/channel-name.js';
import { apiError, shown } from './api-reply.js';
import { verifyApiRequest, type SignatureSettings } from './signed-request.js';
import { readInfo } from './trigger-plan.js';

export interface ChannelsRouteDeps {
  hub: ChannelHub;
  signature: SignatureSettings;
}

const isPresence = (name: string): boolean => name.startsWith('presence-');

/** GET /apps/:appId/channels, /channels/:channelName and /channels/:channelName/users: the cluster's view. */
export function registerChannelsRoutes(scope: FastifyInstance, deps: ChannelsRouteDeps): void {
  scope.get('/apps/:appId/channels', async (req: FastifyRequest<{ Params: { appId: string } }>, reply) => {
    const signed = verifyApiRequest(req, reply, deps.signature);
    if (!signed) return reply;
    const prefix = signed.params.get('filter_by_prefix') ?? '';
    const info = readInfo(signed.params.get('info'));
    if (!info.ok) return apiError(reply, info.status, info.message);
    if (info.value?.users && !isPresence(prefix)) return apiError(reply, 400, 'info=user_count needs filter_by_prefix=presence-');
    const channels: Record<string, Record<string, number>> = {};
    for (const [name, counts] of await deps.hub.occupied(signed.app.id)) {
      if (!name.startsWith(prefix) || counts.subscriptions <= 0) continue;
      const entry: Record<string, number> = {};
      if (info.value?.users) entry.user_count = counts.users;
      if (info.value?.subscriptions) entry.subscription_count = counts.subscriptions;
      channels[name] = entry;
    }
    return { channels };
  });

  scope.get('/apps/:appId/channels/:channelName', async (req: FastifyRequest<{ Params: { appId: string; channelName: string } }>, reply) => {
    const signed = verifyApiRequest(req, reply, deps.signature);
    if (!signed) return reply;
    const name = req.params.channelName;
    if (!classifyChannel(name).ok) return apiError(reply, 400, `invalid channel name ${shown(name)}`);
    const info = readInfo(signed.params.get('info'));
    if (!info.ok) return apiError(reply, info.status, info.message);
    if (info.value?.users && !isPresence(name)) return apiError(reply, 400, 'info=user_count is only for presence channels');
    const counts = (await deps.hub.occupied(signed.app.id)).get(name);
    const out: Record<string, unknown> = { occupied: (counts?.subscriptions ?? 0) > 0 };
    if (info.value?.users) out.user_count = counts?.users ?? 0;
    if (info.value?.subscriptions) out.subscription_count = counts?.subscriptions ?? 0;
    return out;
  });

  scope.get('/apps/:appId/channels/:channelName/users', async (req: FastifyRequest<{ Params: { appId: string; channelName: string } }>, reply) => {
    const signed = verifyApiRequest(req, reply, deps.signature);
    if (!signed) return reply;
    const name = req.params.channelName;
    if (!classifyChannel(name).ok || !isPresence(name)) return apiError(reply, 400, 'users are listed for presence channels only');
    const members = await deps.hub.members(signed.app.id, name);
    return { users: [...members.keys()].map((id) => ({ id })) };
  });
}
