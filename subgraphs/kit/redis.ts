/**
 * Redis, where replicas keep what they must share (used envelope ids, the gateway's rate-limit
 * counters). Calls fail fast while Redis is unreachable rather than queueing: each user decides
 * what that means for it (a subgraph refuses envelopes it cannot check; the rate limit lets
 * requests through).
 */
import { Redis } from 'ioredis';
import type { Logger } from './logger.js';

export type { Redis };

export async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // Keep trying to reconnect, at most every 2 s.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let down = false;
  client.on('error', (error: Error) => {
    if (!down) logger.warn({ reason: error.message }, 'Redis unreachable: shared state is unavailable until it is back');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('Redis reachable again');
    down = false;
  });
  await client.connect();
  return client;
}
