import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatMessage } from '../../protocol/index.js';
import type { ChatDraft, ChatPage } from '../../core/broker/broker.js';
import { chatRecord, isRemovable, redacts, tombstone, type Redaction } from '../../core/chat-record.js';

interface RoomLog {
  epoch: string;
  latestId: number;
  /** Lines in the file after the header: compaction runs when they reach twice the capacity. */
  lines: number;
}

export function newEpoch(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The chat of each room as an append-only file, DATA_DIR/chat/<room>.jsonl: a header line
 * `{"epoch":"..."}`, then one message per line. A message is appended with one write(2) before
 * it is announced, so a SIGKILL loses nothing that was announced (the page cache outlives the
 * process); a torn last line (power loss) is cut off at the next open. When the file holds
 * twice the history it keeps, it is rewritten with the newest half and renamed over the old one.
 *
 * Only ids and line counts stay in memory: rooms keep their recent chat themselves, so the file is
 * read when a room is first used after a start, and for history older than a room keeps.
 *
 * Room names are [a-z0-9_-] (checked before any room exists), so they are safe file names.
 */
export class FileChatStore {
  private readonly dir: string;
  private readonly open = new Map<string, RoomLog>();

  constructor(
    dataDir: string,
    private readonly capacity: number,
  ) {
    this.dir = join(dataDir, 'chat');
    mkdirSync(this.dir, { recursive: true });
  }

  append(room: string, draft: ChatDraft): { msg: ChatMessage; epoch: string } {
    const log = this.load(room);
    // Key order as the wire has it: type, id first.
    const ordered = chatRecord(draft, log.latestId + 1);
    appendFileSync(this.file(room), JSON.stringify(ordered) + '\n');
    log.latestId = ordered.id;
    log.lines++;
    if (log.lines >= this.capacity * 2) this.compact(room, log);
    return { msg: ordered, epoch: log.epoch };
  }

  page(room: string, since: number | null, max: number): ChatPage {
    const { epoch, latestId, lines, recent } = this.read(room);
    this.open.set(room, { epoch, latestId, lines });
    if (since === null) return { epoch, latestId, messages: recent.slice(Math.max(0, recent.length - max)), truncated: false };
    const oldest = recent[0]?.id ?? latestId + 1;
    const start = recent.findIndex((m) => m.id > since);
    const after = start < 0 ? [] : recent.slice(start);
    const messages = after.slice(0, max);
    const evicted = since + 1 < oldest && since < latestId;
    return { epoch, latestId, messages, truncated: evicted };
  }

  /**
   * Replaces the messages a moderator removed with tombstones, on disk: the file is rewritten (it
   * holds at most twice the history) and renamed over the old one. Returns how many changed.
   */
  redact(room: string, r: Redaction): number {
    const log = this.load(room);
    const { recent } = this.read(room);
    let changed = 0;
    const kept = recent.map((m) => {
      if (!redacts(r, m.id) || !isRemovable(m)) return m;
      changed++;
      return tombstone(m);
    });
    if (changed === 0) return 0;
    this.rewrite(room, log, kept);
    return changed;
  }

  /** Deletes logs not written for `ttlMs`: their rooms expired while no server held them. */
  prune(ttlMs: number, now = Date.now()): void {
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith('.jsonl') && !name.endsWith('.tmp')) continue;
      const file = join(this.dir, name);
      try {
        if (now - statSync(file).mtimeMs > ttlMs) rmSync(file, { force: true });
      } catch {
        // removed meanwhile
      }
    }
  }

  /** Drops a room's log from memory (it stays on disk). */
  unload(room: string): void {
    this.open.delete(room);
  }

  /** Deletes a room's log: the room expired. */
  remove(room: string): void {
    this.open.delete(room);
    rmSync(this.file(room), { force: true });
  }

  private file(room: string): string {
    return join(this.dir, `${room}.jsonl`);
  }

  private load(room: string): RoomLog {
    let log = this.open.get(room);
    if (log) return log;
    const { epoch, latestId, lines } = this.read(room);
    log = { epoch, latestId, lines };
    this.open.set(room, log);
    return log;
  }

  /** The file's epoch, latest id, line count and newest `capacity` messages. */
  private read(room: string): RoomLog & { recent: ChatMessage[] } {
    const file = this.file(room);
    if (existsSync(file)) {
      const text = readFileSync(file, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      if (end < text.length) cutAt(file, Buffer.byteLength(text.slice(0, end)));
      const lines = text.slice(0, end).split('\n').filter(Boolean);
      const epoch = parseEpoch(lines[0]);
      if (epoch) {
        const all: ChatMessage[] = [];
        let latestId = 0;
        for (const line of lines.slice(1)) {
          const m = parseMessage(line);
          // Ids only grow; anything else is damage and is skipped.
          if (!m || m.id <= latestId) continue;
          latestId = m.id;
          all.push(m);
        }
        return { epoch, latestId, lines: lines.length - 1, recent: all.slice(Math.max(0, all.length - this.capacity)) };
      }
    }
    // No log (or an unreadable one): a new epoch, so clients drop ids they had.
    const epoch = newEpoch();
    writeFileSync(file, JSON.stringify({ epoch }) + '\n');
    return { epoch, latestId: 0, lines: 0, recent: [] };
  }

  private compact(room: string, log: RoomLog): void {
    this.rewrite(room, log, this.read(room).recent);
  }

  private rewrite(room: string, log: RoomLog, messages: readonly ChatMessage[]): void {
    const file = this.file(room);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, [JSON.stringify({ epoch: log.epoch }), ...messages.map((m) => JSON.stringify(m))].join('\n') + '\n');
    renameSync(tmp, file);
    log.lines = messages.length;
  }
}

function cutAt(file: string, bytes: number): void {
  const fd = openSync(file, 'r+');
  try {
    ftruncateSync(fd, bytes);
  } finally {
    closeSync(fd);
  }
}

function parseEpoch(line: string | undefined): string | null {
  try {
    const h = JSON.parse(line ?? '') as { epoch?: unknown };
    return typeof h.epoch === 'string' && h.epoch !== '' ? h.epoch : null;
  } catch {
    return null;
  }
}

function parseMessage(line: string): ChatMessage | null {
  try {
    const m = JSON.parse(line) as ChatMessage;
    return m && m.type === 'chat' && Number.isSafeInteger(m.id) && m.id > 0 ? m : null;
  } catch {
    return null;
  }
}
