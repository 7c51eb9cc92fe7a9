import type { Grant, RoomSettings } from '../../src/protocol/index.js';
import { TestClient } from './ws-client.js';

/** `Authorization: Bearer <credential>`, or no header for null. */
const auth = (credential: string | null): Record<string, string> => (credential === null ? {} : { authorization: `Bearer ${credential}` });

/** PUT /api/rooms/:room/settings: status and JSON body. */
export async function putSettings(httpBase: string, room: string, credential: string | null, body: unknown): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${httpBase}/api/rooms/${room}/settings`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...auth(credential) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

export async function getSettings(httpBase: string, room: string, credential: string | null): Promise<{ status: number; body: any }> {
  const res = await fetch(`${httpBase}/api/rooms/${room}/settings`, { headers: auth(credential) });
  return { status: res.status, body: await res.json() };
}

/** Makes a room private (or public) with its key; throws unless the server agrees. */
export async function setPrivate(httpBase: string, room: string, key: string, isPrivate: boolean): Promise<RoomSettings> {
  const r = await putSettings(httpBase, room, key, { private: isPrivate });
  if (r.status !== 200 || r.body.private !== isPrivate) throw new Error(`PUT settings answered ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as RoomSettings;
}

/** POST /api/rooms/:room/tokens. */
export async function requestToken(httpBase: string, room: string, credential: string | null, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${httpBase}/api/rooms/${room}/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(credential) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

/** A token from the server's endpoint; throws unless minted. */
export async function mintOverHttp(httpBase: string, room: string, key: string, grants: Grant[], ttlSeconds = 3600): Promise<string> {
  const r = await requestToken(httpBase, room, key, { grants, ttlSeconds });
  if (r.status !== 200) throw new Error(`POST tokens answered ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

/** The refusal of an upgrade that must be refused: HTTP status and the JSON body's error code. */
export async function refusedUpgrade(url: string): Promise<{ status: number; code: string }> {
  try {
    const c = await TestClient.connect(url);
    await c.close();
  } catch (err) {
    const e = err as { status?: number; body?: string };
    if (e.status === undefined) throw err;
    return { status: e.status, code: (JSON.parse(e.body ?? '{}') as { error?: string }).error ?? '' };
  }
  throw new Error(`the upgrade to ${url.split('?')[0]} was accepted`);
}
