import type { ErrorCode, Grant, RoomSettings } from '../../src/protocol/index.js';

/** An answer of the room admin API: the value, or the catalog code of the refusal ('' when the server could not be reached). */
export type AdminResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode | '' };

async function call<T>(method: string, path: string, key: string, body?: unknown): Promise<AdminResult<T>> {
  try {
    const res = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
    const json = (await res.json()) as T & { error?: ErrorCode };
    return res.ok ? { ok: true, value: json } : { ok: false, code: json.error ?? '' };
  } catch {
    return { ok: false, code: '' };
  }
}

const base = (room: string) => `/api/rooms/${encodeURIComponent(room)}`;

/** What the holder of a room's stream key does to it: read and change settings, mint viewer tokens. */
export const roomAdmin = {
  settings: (room: string, key: string) => call<RoomSettings>('GET', `${base(room)}/settings`, key),
  change: (room: string, key: string, patch: Partial<RoomSettings>) => call<RoomSettings>('PUT', `${base(room)}/settings`, key, patch),
  mint: (room: string, key: string, grants: Grant[], ttlSeconds: number) =>
    call<{ token: string; grants: Grant[]; expiresAt: number }>('POST', `${base(room)}/tokens`, key, { grants, ttlSeconds }),
};

/**
 * Why a viewer cannot watch a room, asked after its WebSocket was refused (browsers hide the
 * upgrade's status): null when it may watch, or the server was not reached.
 */
export async function accessRefusal(room: string, token: string): Promise<ErrorCode | null> {
  try {
    const res = await fetch(`${base(room)}/access`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(token ? { token } : {}),
      cache: 'no-store',
    });
    if (res.ok) return null;
    return ((await res.json()) as { error?: ErrorCode }).error ?? null;
  } catch {
    return null;
  }
}
