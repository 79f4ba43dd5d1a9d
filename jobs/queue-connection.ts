/**
 * Redis for the queue (BullMQ): where it is, how to connect as a worker or a producer, and the
 * checks a worker makes before it takes a job. An unreachable Redis is RedisUnavailableError (exit
 * 3), named by host and port with any password masked.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Workspace } from '../config/workspace.js';
import { AttainError } from '../src/domain/errors.js';

/** Where the queue's keys live; tests use a fresh one each. */
export const DEFAULT_QUEUE_PREFIX = 'attain';

export function queuePrefix(env: NodeJS.ProcessEnv = process.env): string {
  return env['ATTAIN_QUEUE_PREFIX'] || DEFAULT_QUEUE_PREFIX;
}

/** Redis could not be reached or refused us (wrong password): exit 3. */
export class RedisUnavailableError extends AttainError {
  override readonly name = 'RedisUnavailableError';
  readonly code = 'REDIS_UNAVAILABLE';
}

/** Redis is reachable but set up so that it may lose jobs (maxmemory-policy other than noeviction). */
export class RedisPolicyError extends AttainError {
  override readonly name = 'RedisPolicyError';
  readonly code = 'REDIS_POLICY';
}

/** No queue is configured: attain.yaml has no queue.redisUrl and REDIS_URL is not set. */
export class QueueNotConfiguredError extends AttainError {
  override readonly name = 'QueueNotConfiguredError';
  readonly code = 'QUEUE_NOT_CONFIGURED';
}

export interface RedisTarget {
  url: string;
  hostPort: string;
  /** The URL with its password masked: safe to print. */
  masked: string;
}

export function redisTarget(workspace: Workspace, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  const url = workspace.config.queue?.redisUrl ?? env['REDIS_URL'];
  if (!url) {
    throw new QueueNotConfiguredError(
      `${workspace.dir}/attain.yaml: no queue configured: set queue: { redisUrl: \${REDIS_URL} } in attain.yaml, or REDIS_URL (attain run runs the pipeline in process, without a queue)`,
    );
  }
  return describeRedisUrl(url);
}

export function describeRedisUrl(url: string): RedisTarget {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '****';
  return { url, hostPort: `${parsed.hostname || '127.0.0.1'}:${parsed.port || '6379'}`, masked: parsed.toString() };
}

/**
 * A connection for a role: workers block on Redis and must retry forever (`maxRetriesPerRequest:
 * null`, BullMQ requires it); producers fail fast instead of queueing commands while Redis is away
 * (`enableOfflineQueue: false`). Errors are reported to `onError`: an ioredis client without an
 * `error` listener crashes the process on a dropped connection.
 */
export function connectRedis(target: RedisTarget, role: 'worker' | 'producer', onError: (error: Error) => void): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null }
      : {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          retryStrategy: (times) => (times > 3 ? null : 200 * times),
        };
  const redis = new Redis(target.url, { ...options, lazyConnect: true, connectTimeout: 5000 });
  redis.on('error', onError);
  return redis;
}

/** Connects and pings once, so that an unreachable Redis is one clear message at start, not a hang. */
export async function checkReachable(target: RedisTarget): Promise<void> {
  let lastError: unknown;
  const probe = new Redis(target.url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  probe.on('error', (error) => (lastError = error));
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new RedisUnavailableError(
      `cannot reach Redis at ${target.hostPort} (${target.masked}): ${cause(lastError ?? error, target)}`,
    );
  } finally {
    probe.disconnect();
  }
}

/**
 * BullMQ needs `maxmemory-policy noeviction`: under memory pressure any other policy lets Redis
 * delete job keys, and runs vanish halfway. A worker refuses to start otherwise, unless told to go
 * on (`--allow-eviction`), then it warns on every start. A Redis that forbids CONFIG (some managed
 * services) cannot be checked: a warning says so.
 */
export async function checkEvictionPolicy(
  redis: Redis,
): Promise<{ policy: string | undefined; problem: string | undefined }> {
  let policy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch (error) {
    return {
      policy: undefined,
      problem: `could not read Redis's maxmemory-policy (${error instanceof Error ? error.message : String(error)}); make sure it is noeviction`,
    };
  }
  if (policy === 'noeviction') return { policy, problem: undefined };
  return {
    policy,
    problem: `Redis maxmemory-policy is ${policy}, not noeviction: under memory pressure Redis would delete queued jobs (set maxmemory-policy noeviction, e.g. CONFIG SET maxmemory-policy noeviction and in redis.conf)`,
  };
}

/** An error's cause for a message: never the password, which ioredis does not print but a URL in a message would. */
function cause(error: unknown, target: RedisTarget): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  const password = new URL(target.url).password;
  return password ? text.split(password).join('****') : text;
}
