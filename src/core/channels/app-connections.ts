import type { ChannelBus } from '../broker/channel-bus.js';
import type { Log } from '../log.js';
import { decodeControlMessage, encodeBusMessage } from './bus-message.js';

/** A connection of an app, as the hub sees it. The transport implements it. */
export interface AppConnection {
  readonly socketId: string;
  /** The user it signed in as; null before (or without) sign-in. */
  readonly userId: string | null;
  /** The app asked for this user's connections to be closed. */
  terminate(): void;
}

interface AppState {
  conns: Set<AppConnection>;
  users: Map<string, Set<AppConnection>>;
}

/**
 * The connections of each app on this node: their count on the bus (an app's `max_connections`
 * holds for the whole cluster), who is signed in as whom, and the app's control messages
 * ("close user U's connections", which reach every node that has connections of the app).
 */
export class AppConnections {
  private readonly apps = new Map<string, AppState>();

  constructor(
    private readonly bus: ChannelBus,
    private readonly log: Log,
  ) {}

  /** Connections of the app on this node. */
  count(app: string): number {
    return this.apps.get(app)?.conns.size ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const a of this.apps.values()) n += a.conns.size;
    return n;
  }

  /**
   * Counts a new connection, unless the app already has `max` in the cluster (null: no limit);
   * false when refused (then nothing was counted). The other nodes' share is as recent as the
   * bus refreshes it (a few seconds), so a burst across nodes can pass the limit briefly.
   */
  open(app: string, conn: AppConnection, max: number | null): boolean {
    let a = this.apps.get(app);
    const here = a?.conns.size ?? 0;
    const total = this.bus.setConnections(app, here + 1);
    if (max !== null && total > max) {
      this.bus.setConnections(app, here);
      return false;
    }
    if (!a) {
      a = { conns: new Set(), users: new Map() };
      this.apps.set(app, a);
      this.bus.listenApp(app);
    }
    a.conns.add(conn);
    return true;
  }

  close(app: string, conn: AppConnection): void {
    const a = this.apps.get(app);
    if (!a || !a.conns.delete(conn)) return;
    if (conn.userId !== null) this.unindex(a, conn.userId, conn);
    this.bus.setConnections(app, a.conns.size);
    if (a.conns.size === 0) {
      this.apps.delete(app);
      this.bus.unlistenApp(app);
    }
  }

  /** The connection signed in as `userId` (its `userId` says so from now on). */
  signedIn(app: string, conn: AppConnection, userId: string): void {
    const a = this.apps.get(app);
    if (!a?.conns.has(conn)) return;
    let set = a.users.get(userId);
    if (!set) a.users.set(userId, (set = new Set()));
    set.add(conn);
  }

  /** Closes the user's connections on every node. Rejects with BusUnavailableError. */
  terminateUser(app: string, userId: string): Promise<void> {
    return this.bus.control(app, encodeBusMessage({ k: 't', u: userId }));
  }

  /** A control message of the app, from any node. */
  onControl(app: string, payload: string): void {
    const m = decodeControlMessage(payload);
    if (!m) {
      this.log.warn({ app }, 'unreadable control message from the bus ignored');
      return;
    }
    const conns = this.apps.get(app)?.users.get(m.u);
    if (!conns) return;
    this.log.info({ app, connections: conns.size }, 'closing a user\'s connections at the app\'s request');
    for (const c of [...conns]) c.terminate();
  }

  /** Reports every app's count again (after a bus outage). */
  resync(): void {
    for (const [app, a] of this.apps) this.bus.setConnections(app, a.conns.size);
  }

  private unindex(a: AppState, userId: string, conn: AppConnection): void {
    const set = a.users.get(userId);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) a.users.delete(userId);
  }
}
