import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PusherApp } from '../../../config/pusher-apps/pusher-app.js';
import type { FollowAccess } from '../../../core/room-access.js';
import { senderColor } from '../../../core/sender-color.js';
import { checkName } from '../../../protocol/index.js';
import { PusherAuthErrors, type PusherAuthErrorName } from '../../../protocol/pusher/codes.js';
import { roomOfChannel } from '../../../protocol/pusher/room-channels.js';
import type { PusherAppDirectory } from '../pusher-app-directory.js';
import { signChannelAuth } from '../signing/channel-auth.js';
import { isSocketId } from '../socket-id.js';

export interface AuthRouteDeps {
  directory: PusherAppDirectory;
  access: FollowAccess;
  maxNameLength: number;
}

// User ids must also form a #server-to-user- channel name.
const USER_ID = /^[A-Za-z0-9_\-=@,.;]{1,128}$/;

type Fields = Record<string, unknown>;

function authError(reply: FastifyReply, name: PusherAuthErrorName): FastifyReply {
  return reply.code(PusherAuthErrors[name].status).send({ error: name, message: PusherAuthErrors[name].message });
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The member a client asks to be: channel_data {user_id, user_info: {name}}, or user_id / name fields. */
function requestedMember(b: Fields, socketId: string): { userId: string; name: string } | null {
  let fromData: Fields = {};
  const raw = str(b.channel_data);
  if (raw !== undefined) {
    try {
      const v: unknown = JSON.parse(raw);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) fromData = v as Fields;
      else return null;
    } catch {
      return null;
    }
  }
  const info = (typeof fromData.user_info === 'object' && fromData.user_info !== null ? fromData.user_info : {}) as Fields;
  const rawId = fromData.user_id ?? b.user_id;
  const userId = typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : (str(rawId) ?? socketId);
  const name = str(info.name) ?? str(b.name) ?? '';
  if (!USER_ID.test(userId)) return null;
  return { userId, name };
}

/**
 * POST /pusher/auth: beamcast's own channel auth endpoint, for room channels. It signs
 * presence-room.{room} for a socket when the room's access rules allow (every room is public for
 * now; a private room will want a viewer token, given as `token`). The member is the client's
 * own choice (user_id, default the socket id; name, checked by the name rule): a public room has
 * no accounts to check it against. The app is `app_key` (form, JSON or query), else the only one.
 */
export function registerAuthRoute(app: FastifyInstance, deps: AuthRouteDeps): void {
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    scope.options('/pusher/auth', async (req, reply) => {
      const origin = req.headers.origin;
      if (origin && deps.directory.apps.some((a) => deps.directory.originAllowed(a, origin))) {
        reply.header('access-control-allow-origin', origin).header('vary', 'origin');
        reply.header('access-control-allow-methods', 'POST').header('access-control-allow-headers', 'content-type').header('access-control-max-age', '600');
      }
      return reply.code(204).send();
    });

    scope.post('/pusher/auth', async (req: FastifyRequest<{ Querystring: Fields }>, reply) => {
      const b: Fields = typeof req.body === 'object' && req.body !== null ? (req.body as Fields) : {};
      const key = str(b.app_key) ?? str(req.query.app_key);
      let app: PusherApp | null | undefined;
      if (key !== undefined) app = deps.directory.byKey(key);
      else app = deps.directory.single;
      if (app === null) return authError(reply, 'APP_KEY_REQUIRED');
      if (!app) return authError(reply, 'APP_NOT_FOUND');
      const origin = req.headers.origin;
      if (origin) {
        if (!deps.directory.originAllowed(app, origin)) return authError(reply, 'ORIGIN_NOT_ALLOWED');
        reply.header('access-control-allow-origin', origin).header('vary', 'origin');
      }
      const socketId = b.socket_id;
      const channel = str(b.channel_name);
      if (!isSocketId(socketId) || channel === undefined) return authError(reply, 'BAD_AUTH_REQUEST');
      const room = roomOfChannel(channel);
      if (!room?.presence || !room.valid) return authError(reply, 'NOT_A_ROOM_CHANNEL');
      if ((await deps.access.canFollow(room.room, { token: str(b.token) })) !== 'allowed') {
        req.log.info({ room: room.room, code: 'ROOM_FORBIDDEN' }, 'room channel auth refused');
        return authError(reply, 'ROOM_FORBIDDEN');
      }
      const member = requestedMember(b, socketId);
      const named = member && checkName(member.name, deps.maxNameLength);
      if (!member || !named?.ok) return authError(reply, 'BAD_USER');
      const name = named.name || `viewer-${member.userId.replace(/[^A-Za-z0-9]/g, '').slice(0, 4)}`;
      const channelData = JSON.stringify({ user_id: member.userId, user_info: { name, color: senderColor(member.userId) } });
      return { auth: signChannelAuth(app, socketId, channel, channelData), channel_data: channelData };
    });
  });
}
