/**
 * Opening the reporting database (docs/database.md): any PostgreSQL 14+ by URL through `pg`, or, without a
 * URL, embedded PostgreSQL (PGlite) persisted in the workspace. One Kysely code path serves both;
 * the type parsers are set so that both return the same JS values (see schema.ts).
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Kysely, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { PGlite } from '@electric-sql/pglite';
import type { Pool, PoolClient } from 'pg';
import { CopyIn, copyInPglite, copyInPostgres } from './copy-in.js';
import { CurrentSchemaPostgresDialect } from './schema-introspector.js';
import { DatabaseConfigError, DatabaseUnavailableError, describeCause } from './errors.js';
import type { Database } from './schema.js';

export interface OpenDatabaseOptions {
  /** `postgres://user:password@host:port/database`; absent: the embedded database under `dataDir`. */
  url?: string;
  /** The workspace's `.attain` folder: the embedded database lives in `<dataDir>/pglite`. */
  dataDir: string;
  /**
   * A schema to work in (created if missing; `search_path` is set to it alone). Tests use a fresh
   * one each; absent: the connection's default (`public`).
   */
  schema?: string;
  /** Told about errors of idle pooled connections (which the pool then discards); default: ignored. */
  onError?: (error: Error) => void;
}

export interface AttainDb {
  db: Kysely<Database>;
  backend: 'postgres' | 'pglite';
  /** Where the data is, safe to print: the password is masked. */
  describe: string;
  close(): Promise<void>;
}

// PostgreSQL type oids.
const INT8 = 20;
const DATE = 1082;
const CONNECT_TIMEOUT_MS = 10_000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;
const keepText = (value: string): string => value;

export async function openDatabase(options: OpenDatabaseOptions): Promise<AttainDb> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new DatabaseConfigError(
      `database schema name ${JSON.stringify(options.schema)}: use lower-case letters, digits and _`,
    );
  }
  return options.url === undefined ? openPglite(options) : openPostgres(options.url, options);
}

async function openPostgres(url: string, options: OpenDatabaseOptions): Promise<AttainDb> {
  const target = parsePostgresUrl(url);
  const { default: pg } = await import('pg');
  // `date` stays `YYYY-MM-DD` (pg would make a local-midnight Date); numeric and int8 are strings already.
  const getTypeParser = (oid: number, format?: 'text' | 'binary') =>
    oid === DATE ? keepText : pg.types.getTypeParser(oid, format);
  const pool = new pg.Pool({
    connectionString: url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    types: { getTypeParser: getTypeParser as typeof pg.types.getTypeParser },
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
  });
  // An idle client whose connection drops emits `error` on the pool; unhandled, it would end the process.
  pool.on('error', (error) => options.onError?.(error));

  // Try the first connection now, so an unreachable server is reported at open, not mid-run.
  try {
    const client = await pool.connect();
    try {
      if (options.schema !== undefined) await client.query(`create schema if not exists "${options.schema}"`);
    } finally {
      client.release();
    }
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DatabaseUnavailableError(
      `cannot reach PostgreSQL at ${target.hostPort}, database ${target.database} (${target.masked}): ${describeCause(error)}`,
      { cause: error },
    );
  }

  const db = new Kysely<Database>({ dialect: new CurrentSchemaPostgresDialect({ pool: copyAwarePool(pool) }) });
  return {
    db,
    backend: 'postgres',
    describe: options.schema === undefined ? target.masked : `${target.masked} (schema ${options.schema})`,
    close: once(() => db.destroy()),
  };
}

/**
 * The embedded database holds every rep's pay: its folder is the owner's alone (0700), whatever the
 * umask, and a folder an older version made readable to others is closed (where we own it).
 */
async function privateDataDir(dataDir: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (const folder of [dataDir, dir]) await chmod(folder, 0o700).catch(() => undefined);
}

async function openPglite(options: OpenDatabaseOptions): Promise<AttainDb> {
  const dataDir = resolve(options.dataDir);
  const dir = join(dataDir, 'pglite');
  const describe = `embedded PostgreSQL (PGlite) at ${dir}`;
  let release: (() => Promise<void>) | undefined;
  try {
    await privateDataDir(dataDir, dir);
    release = await claimDataDir(join(dataDir, 'pglite-lock'), dir);
    const [{ PGlite }, { PGliteDialect }] = await Promise.all([
      import('@electric-sql/pglite'),
      import('kysely-pglite-dialect'),
    ]);
    // PGlite's defaults differ from pg's: int8 as a JS number (lossy past 2^53), date as a UTC-midnight Date.
    const pglite = await PGlite.create({ dataDir: dir, parsers: { [INT8]: keepText, [DATE]: keepText } });
    if (options.schema !== undefined) {
      // PGlite is one session: setting search_path once holds for every later query.
      await pglite
        .exec(`create schema if not exists "${options.schema}"; set search_path to "${options.schema}"`)
        .catch(async (error: unknown) => {
          await pglite.close();
          throw error;
        });
    }
    const db = new Kysely<Database>({ dialect: new PGliteDialect(copyAwarePglite(pglite)) });
    const unlock = release;
    return {
      db,
      backend: 'pglite',
      describe: options.schema === undefined ? describe : `${describe} (schema ${options.schema})`,
      close: once(async () => {
        try {
          await db.destroy();
        } finally {
          await unlock();
        }
      }),
    };
  } catch (error) {
    await release?.();
    if (error instanceof DatabaseUnavailableError) throw error;
    throw new DatabaseUnavailableError(`cannot open the ${describe}: ${describeCause(error)}`, { cause: error });
  }
}

/**
 * The pool as Kysely sees it, each client answering a query whose parameter is a CopyIn (see
 * copy-in.ts) with that COPY, on the same connection (inside the caller's transaction).
 */
function copyAwarePool(pool: Pool): PostgresPool {
  const wrapped = new WeakMap<PoolClient, PostgresPoolClient>();
  const wrap = (client: PoolClient): PostgresPoolClient => {
    let view = wrapped.get(client);
    if (!view) {
      view = {
        query: ((text: unknown, values?: unknown[]) =>
          values?.[0] instanceof CopyIn
            ? copyInPostgres(client, values[0])
            : client.query(text as string, values)) as unknown as PostgresPoolClient['query'],
        release: (discard?: boolean) => client.release(discard),
      };
      wrapped.set(client, view);
    }
    return view;
  };
  return { connect: async () => wrap(await pool.connect()), end: () => pool.end() };
}

/** PGlite as kysely-pglite-dialect sees it, answering a CopyIn query (see copy-in.ts) with that COPY. */
function copyAwarePglite(pglite: PGlite): PGlite {
  return new Proxy(pglite, {
    get(target, property) {
      if (property === 'query') {
        return (text: string, params?: unknown[], options?: object) =>
          params?.[0] instanceof CopyIn ? copyInPglite(target, params[0]) : target.query(text, params, options);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Data dirs this process has open: PGlite is one session, so a second open of the same dir would corrupt it. */
const openDirs = new Set<string>();

/**
 * How long a lock nobody refreshes stays valid, and how often the holder refreshes it. The refresh
 * runs on the event loop, which a long calculation blocks for seconds; the margin covers that. The
 * price: a process killed with SIGKILL keeps others out for up to this long.
 */
export const EMBEDDED_LOCK_STALE_MS = 30_000;
const EMBEDDED_LOCK_UPDATE_MS = 5_000;

/**
 * Claims the embedded database for this process: PGlite has no lock of its own, and two processes
 * writing one data dir would corrupt it. proper-lockfile makes the lock a directory (mkdir is
 * atomic, also on a folder that several containers mount) and refreshes its mtime while held; a
 * lock whose mtime is older than EMBEDDED_LOCK_STALE_MS belongs to a process that is gone (a
 * crash, a killed container) and is taken over. Nothing depends on process ids, which mean
 * nothing across containers (each one's process is pid 1). A holder that finds its lock taken
 * (it was stalled past the threshold) stops the process rather than write beside the new holder.
 */
async function claimDataDir(lockPath: string, dir: string): Promise<() => Promise<void>> {
  if (openDirs.has(lockPath))
    throw new DatabaseUnavailableError(`the embedded database at ${dir} is already open in this process`);
  const { lock } = await import('proper-lockfile');
  let unlock: () => Promise<void>;
  try {
    unlock = await lock(dir, {
      lockfilePath: lockPath,
      realpath: false,
      stale: EMBEDDED_LOCK_STALE_MS,
      update: EMBEDDED_LOCK_UPDATE_MS,
      onCompromised: (error) => {
        throw new DatabaseUnavailableError(
          `the lock of the embedded database at ${dir} was lost (${error.message}): stopping, so that two processes never write it at once`,
        );
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    const age = await stat(lockPath).then(
      (s) => `, its lock refreshed ${Math.max(0, Math.round((Date.now() - s.mtimeMs) / 1000))} s ago`,
      () => '',
    );
    throw new DatabaseUnavailableError(
      `the embedded database at ${dir} is in use by another attain process${age}; wait for it to finish (a lock nobody refreshes for ${EMBEDDED_LOCK_STALE_MS / 1000} s is taken over: ${lockPath})`,
    );
  }
  openDirs.add(lockPath);
  return async () => {
    openDirs.delete(lockPath);
    await unlock().catch(() => undefined);
  };
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface PostgresTarget {
  /** The URL with its password masked. */
  masked: string;
  hostPort: string;
  database: string;
}

/** Reads host, port and database from a connection URL, for messages; never echoes the password. */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseConfigError(
      'the database URL is not a valid URL: expected postgres://user:password@host:port/database',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DatabaseConfigError(
      `the database URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`,
    );
  }
  if (parsed.password) parsed.password = '****';
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '****');
  const host = decodeURIComponent(parsed.hostname) || parsed.searchParams.get('host') || 'localhost';
  const user = decodeURIComponent(parsed.username);
  return {
    masked: parsed.toString(),
    hostPort: `${host}:${parsed.port || '5432'}`,
    database: decodeURIComponent(parsed.pathname.slice(1)) || user || '(the default)',
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
