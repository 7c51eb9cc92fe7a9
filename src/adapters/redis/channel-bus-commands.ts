import type { ChainableCommander, Redis } from 'ioredis';
import { BUS_EPOCH, REAP, SET_CONNECTIONS, SET_PRESENCE, SET_SUBSCRIPTIONS } from './channel-bus-scripts.js';
import type { ShareEntry } from './channel-shares.js';
import type { RedisKeys } from './redis-keys.js';

type Args = (string | number)[];

/** The channel bus scripts, as commands of the command connection. */
export interface BusCommands {
  busSubscriptions(...args: Args): Promise<[number, number]>;
  busPresence(...args: Args): Promise<[number, number]>;
  busConnections(...args: Args): Promise<number>;
  busReap(...args: Args): Promise<[string, string, string, string][]>;
  busEpoch(...args: Args): Promise<string>;
}
export type BusRedis = Redis & BusCommands;
export type BusPipeline = ChainableCommander & { [K in keyof BusCommands]: (...args: Args) => BusPipeline };

export function defineBusCommands(cmd: Redis): BusRedis {
  cmd.defineCommand('busSubscriptions', { numberOfKeys: 3, lua: SET_SUBSCRIPTIONS });
  cmd.defineCommand('busPresence', { numberOfKeys: 5, lua: SET_PRESENCE });
  cmd.defineCommand('busConnections', { numberOfKeys: 3, lua: SET_CONNECTIONS });
  cmd.defineCommand('busReap', { numberOfKeys: 3, lua: REAP });
  cmd.defineCommand('busEpoch', { numberOfKeys: 1, lua: BUS_EPOCH });
  return cmd as BusRedis;
}

/** The script, and its keys and arguments, that sets one share of `node` to `count`. */
export function shareCommand(keys: RedisKeys, node: string, e: ShareEntry, entry: string, count: number, info: string): [keyof BusCommands, Args] {
  const k = keys;
  switch (e.kind) {
    case 's':
      return ['busSubscriptions', [k.busShare(node), k.busSubscriptions(e.app), k.busNodes(), entry, count, e.channel, node]];
    case 'p':
      return ['busPresence', [k.busShare(node), k.busPresence(e.app, e.channel), k.busMembers(e.app, e.channel), k.busUsers(e.app), k.busNodes(), entry, count, e.user, info, e.channel, node]];
    case 'c':
      return ['busConnections', [k.busShare(node), k.busConnections(e.app), k.busNodes(), entry, count, node]];
  }
}
