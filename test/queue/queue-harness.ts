/**
 * What the queue tests share: a scratch copy of the example workspace, a fresh queue prefix and
 * PostgreSQL schema per test, real worker processes of the compiled CLI (`npm run build` first),
 * and the CLI run as a process. Everything is removed afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { openDatabase, migrateToLatest, type AttainDb } from '../../src/db/index.js';
import { QUEUES } from '../../jobs/catalog.js';
import { copyExample } from '../cli/run-cli.js';
import { POSTGRES_URL } from '../db/backends.js';

export const REDIS_URL = process.env['ATTAIN_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const BIN = resolve(import.meta.dirname, '../../bin/attain.js');
const DIST = resolve(import.meta.dirname, '../../dist/src/cli/main.js');

/** Why the queue tests cannot run here (no Redis or PostgreSQL), or undefined; with CI set they must. */
export const queueTestProblem = await probe();
/** Skip the queue tests without Redis and PostgreSQL, saying why, except under CI. */
export const skipQueueTests = queueTestProblem !== undefined && !process.env['CI'];
if (skipQueueTests) process.stderr.write(`queue tests skipped: ${queueTestProblem}\n`);

async function probe(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `cannot reach Redis at ${REDIS_URL} (${(error as Error).message}); start Redis or set ATTAIN_TEST_REDIS_URL`;
  } finally {
    redis.disconnect();
  }
  const db = await openDatabase({ url: POSTGRES_URL, dataDir: '.' }).catch((error: Error) => error);
  if (db instanceof Error) return db.message;
  await db.close();
  return undefined;
}

export function assertBuilt(): void {
  if (queueTestProblem) throw new Error(`the queue tests need Redis and PostgreSQL: ${queueTestProblem}`);
  if (!existsSync(DIST)) throw new Error('the queue tests run the compiled CLI: npm run build first');
}

export interface Scratch {
  dir: string;
  prefix: string;
  schema: string;
  /** The environment worker and CLI processes get: this test's database schema and queue prefix. */
  env: NodeJS.ProcessEnv;
  /** This test's schema, opened (and migrated) from the test process. */
  database: AttainDb;
  queue(name: keyof typeof QUEUES): Queue;
  /** Worker processes of this test: killed (and waited for) before its keys are deleted. */
  workers: ChildProcess[];
  dispose(): Promise<void>;
}

export async function scratch(options: { stepDelayMs?: number; lockMs?: number } = {}): Promise<Scratch> {
  const tag = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const prefix = `attaintest_${tag}`;
  const schema = `attain_q_${tag}`;
  const { dir, cleanup } = copyExample();
  const database = await openDatabase({ url: POSTGRES_URL, dataDir: `${dir}/.attain`, schema });
  try {
    await migrateToLatest(database.db);
  } catch (error) {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db).catch(() => undefined);
    await database.close();
    cleanup();
    throw error;
  }
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: url.toString(),
    REDIS_URL,
    ATTAIN_QUEUE_PREFIX: prefix,
    // Short locks: a killed worker's job is taken over in seconds, not a minute.
    ATTAIN_LOCK_DURATION_MS: String(options.lockMs ?? 2000),
    ATTAIN_STALLED_INTERVAL_MS: '1000',
    ...(options.stepDelayMs ? { ATTAIN_TEST_STEP_DELAY_MS: String(options.stepDelayMs) } : {}),
  };
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const queues = new Map<string, Queue>();
  const workers: ChildProcess[] = [];
  return {
    dir,
    prefix,
    schema,
    env,
    database,
    workers,
    queue(name) {
      let queue = queues.get(name);
      if (!queue) queues.set(name, (queue = new Queue(QUEUES[name], { connection, prefix })));
      return queue;
    },
    async dispose() {
      // Stopped for good first: a live worker would write its keys again.
      await Promise.all(
        workers.map((child) =>
          child.exitCode !== null || child.signalCode !== null
            ? undefined
            : new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGKILL'))),
        ),
      );
      for (const queue of queues.values()) await queue.close();
      // Every key of this test's prefix.
      let cursor = '0';
      do {
        const [next, keys] = await connection.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) await connection.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      connection.disconnect();
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db).catch(() => undefined);
      await database.close();
      cleanup();
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the worker logged that it is ready. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

/** A worker process; `port` null leaves --port out (the worker then takes the first free port from 9464). */
export function startWorkerProcess(s: Scratch, extraArgs: string[] = [], port: string | null = '0'): WorkerProcess {
  const portArgs = port === null ? [] : ['--port', port];
  const child = spawn(process.execPath, [BIN, 'worker', '--workspace', s.dir, ...portArgs, ...extraArgs], {
    env: s.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  s.workers.push(child);
  let output = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)));
  });
  ready.catch(() => undefined);
  const append = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('attain worker ready')) onReady();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, ready, exited };
}

/** A port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs the compiled CLI as a process with the test's environment. */
export function cli(
  s: Scratch,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args, '--workspace', s.dir], {
      env: { ...s.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => resolvePromise({ code, out, err }));
  });
}

/** Every stored payout line and attainment row (without run ids), and the rejects of one run: what must not depend on how a run ran. */
export async function results(
  database: AttainDb,
  runId: string,
): Promise<{ lines: string[]; attainment: string[]; rejects: string[] }> {
  const { db } = database;
  const lines = await db
    .selectFrom('payout_lines')
    .select(['rep_id', 'plan_id', 'period', 'component', 'amount', 'currency', 'trace'])
    .execute();
  const attainment = await db
    .selectFrom('attainment')
    .select(['rep_id', 'plan_id', 'period', 'measure', 'credit', 'quota', 'attainment'])
    .execute();
  const rejects = await db
    .selectFrom('rejects')
    .select(['source', 'record_id', 'reason'])
    .where('run_id', '=', runId)
    .execute();
  const rows = (list: object[]) => list.map((r) => JSON.stringify(r)).sort();
  return { lines: rows(lines), attainment: rows(attainment), rejects: rows(rejects) };
}
