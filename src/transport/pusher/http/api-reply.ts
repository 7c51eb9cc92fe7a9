import type { FastifyReply } from 'fastify';

/** An HTTP API error as Pusher answers it: the status, and a plain-text reason the SDKs pass on. */
export function apiError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

/** A result of checking input: the value, or the error to answer with. */
export type Checked<T> = { ok: true; value: T } | { ok: false; status: number; message: string };

export const bad = (message: string, status = 400): { ok: false; status: number; message: string } => ({ ok: false, status, message });

/** Keeps client-supplied text short in error messages. */
export const shown = (s: string): string => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
