// The broadcaster connection, opened from the main thread, which sends the frames on its own schedule.
import { classifyText, type TargetName } from './dialect.js';
import { LeanSocket } from './lean-socket.js';

/** Errors the server sent the broadcaster, by code, counting the ones it reported as `dropped`. */
export type FrameRefusals = Record<string, number>;

export function openBroadcaster(target: TargetName, host: string, port: number, path: string, refusals: FrameRefusals): Promise<LeanSocket> {
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => reject(new Error('the broadcaster could not connect within 10 s')), 10_000);
    const done = (conn: LeanSocket) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      resolve(conn);
    };
    new LeanSocket(
      { host, port, path },
      {
        // Socket.IO is ready once the namespace is joined (the "40" answer), the others at once.
        open: (conn) => target !== 'socketio' && done(conn),
        binary: () => {},
        text: (conn, bytes, len, total) => {
          if (classifyText(target, conn, bytes, len, total) === 'welcome' && target === 'socketio') done(conn);
          if (target === 'beamcast' && total === len && bytes[2] === 0x74 /* {"type":"error" */) {
            try {
              const m = JSON.parse(Buffer.from(bytes.subarray(0, len)).toString()) as { type?: string; code?: string; dropped?: number };
              if (m.type === 'error' && m.code) refusals[m.code] = (refusals[m.code] ?? 0) + 1 + (m.dropped ?? 0);
            } catch {
              // not JSON: ignore
            }
          }
        },
        refused: (_c, status, code) => {
          clearTimeout(timer);
          reject(new Error(`the broadcaster was refused: ${status} ${code}`));
        },
        closed: (_c, code, reason) => {
          if (!ready) {
            clearTimeout(timer);
            reject(new Error(`the broadcaster connection closed: ${code} ${reason}`));
          }
        },
      },
      4096,
    );
  });
}
