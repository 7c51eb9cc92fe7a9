/**
 * Asks the server whether a stream key fits a room. Browsers hide why a WebSocket upgrade was
 * refused (the page only sees close code 1006), so this is how the page can say "wrong key".
 */
export async function verifyKey(room: string, key: string): Promise<'ok' | 'bad' | 'unknown'> {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(room)}/verify-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ key }),
    });
    return res.ok ? 'ok' : res.status === 401 ? 'bad' : 'unknown';
  } catch {
    return 'unknown';
  }
}
