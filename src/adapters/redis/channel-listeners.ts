import type { ChannelBusEvents } from '../../core/broker/channel-bus.js';
import type { RedisConnections } from './redis-connections.js';
import type { RedisKeys } from './redis-keys.js';

interface Listened {
  app: string;
  channel: string;
  /** Settles once Redis confirmed the subscription. */
  subscribed: Promise<void>;
}

/**
 * The Redis channels this node is subscribed to for the channel bus: one per (app, channel) with
 * subscribers here, one per app for control messages. Messages are routed by the exact Redis
 * channel name, so nothing is parsed out of it. While the bus is down (un)subscriptions wait in
 * the subscriber connection's queue, and it subscribes again by itself after a reconnect.
 */
export class ChannelListeners {
  private readonly channels = new Map<string, Listened>();
  private readonly apps = new Map<string, string>();

  constructor(
    private readonly conns: RedisConnections,
    private readonly keys: RedisKeys,
    private readonly events: () => ChannelBusEvents | null,
  ) {
    conns.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
  }

  /** Resolves once subscribed while the bus is up; while it is down, nothing to wait for. */
  listen(app: string, channel: string): Promise<void> | void {
    const name = this.keys.busChannel(app, channel);
    let l = this.channels.get(name);
    if (!l) {
      const subscribed = this.conns.sub.subscribe(name).then(
        () => {},
        (err: unknown) => this.conns.noteError(err, 'subscribe'),
      );
      this.channels.set(name, (l = { app, channel, subscribed }));
    }
    return this.conns.isUp ? l.subscribed : undefined;
  }

  unlisten(app: string, channel: string): void {
    const name = this.keys.busChannel(app, channel);
    if (this.channels.delete(name)) void this.conns.sub.unsubscribe(name).catch(() => {});
  }

  listenApp(app: string): void {
    const name = this.keys.busControl(app);
    if (this.apps.has(name)) return;
    this.apps.set(name, app);
    void this.conns.sub.subscribe(name).catch((err: unknown) => this.conns.noteError(err, 'subscribe'));
  }

  unlistenApp(app: string): void {
    const name = this.keys.busControl(app);
    if (this.apps.delete(name)) void this.conns.sub.unsubscribe(name).catch(() => {});
  }

  /** Apps this node takes control messages for. */
  listenedApps(): IterableIterator<string> {
    return this.apps.values();
  }

  private onMessage(name: string, message: string): void {
    const l = this.channels.get(name);
    if (l) return this.events()?.message(l.app, l.channel, message);
    const app = this.apps.get(name);
    if (app !== undefined) this.events()?.control(app, message);
  }
}
