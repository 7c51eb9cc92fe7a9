import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BusUnavailableError } from '../../../core/broker/broker.js';
import type { ChannelHub } from '../../../core/channels/channel-hub.js';
import { MAX_USER_ID_LENGTH } from '../../../protocol/pusher/presence-member.js';
import { apiError } from './api-reply.js';
import { verifyApiRequest, type SignatureSettings } from './signed-request.js';

export interface UsersRouteDeps {
  hub: ChannelHub;
  signature: SignatureSettings;
}

/** POST /apps/:appId/users/:userId/terminate_connections: closes the user's connections on every node. */
export function registerUsersRoutes(scope: FastifyInstance, deps: UsersRouteDeps): void {
  scope.post('/apps/:appId/users/:userId/terminate_connections', async (req: FastifyRequest<{ Params: { appId: string; userId: string } }>, reply) => {
    const signed = verifyApiRequest(req, reply, deps.signature);
    if (!signed) return reply;
    const userId = req.params.userId;
    if (userId === '' || userId.length > MAX_USER_ID_LENGTH) return apiError(reply, 400, `user ids are 1-${MAX_USER_ID_LENGTH} characters`);
    try {
      await deps.hub.connections.terminateUser(signed.app.id, userId);
    } catch (err) {
      if (!(err instanceof BusUnavailableError)) throw err;
      return apiError(reply, 503, 'the connections could not be closed now: the server cannot reach the other nodes');
    }
    req.log.info({ app: signed.app.id }, 'user connections terminated by the app');
    return {};
  });
}
