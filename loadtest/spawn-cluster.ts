// Starts a cluster under test: one redis-server and N beamcast nodes, each exactly as
// spawnTarget starts a single server, plus REDIS_URL, a NODE_ID and one shared STREAM_SECRET.
import { randomBytes } from 'node:crypto';
import { startRedis, type RedisProcess } from './redis-process.js';
import { spawnTarget, type SpawnOptions, type SpawnedTarget } from './spawn-target.js';

export interface SpawnedCluster {
  redis: RedisProcess;
  /** In order: the first is the broadcaster's node. */
  nodes: SpawnedTarget[];
  stop(): Promise<void>;
}

/** NODE_ID of the i-th node (0-based). */
export const nodeName = (i: number): string => `n${i + 1}`;

/** `nodeArgs(name)`: node flags per node, e.g. a CPU profile named after it. */
export async function spawnCluster(count: number, opts: SpawnOptions, nodeArgs: (name: string) => string[] = () => []): Promise<SpawnedCluster> {
  const redis = await startRedis();
  const secret = opts.secret ?? randomBytes(16).toString('hex');
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      spawnTarget('beamcast', {
        ...opts,
        secret,
        nodeArgs: [...(opts.nodeArgs ?? []), ...nodeArgs(nodeName(i))],
        env: { ...opts.env, REDIS_URL: redis.url, REDIS_PREFIX: 'loadtest:', NODE_ID: nodeName(i) },
      }),
    ),
  );
  const nodes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await redis.stop();
  };
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return { redis, nodes, stop };
}
