import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, parsePostgresUrl } from '../../src/db/connect.js';
import { DatabaseConfigError, DatabaseUnavailableError, describeCause } from '../../src/db/errors.js';
import { POSTGRES_URL, forEachBackend } from './backends.js';

const scratch = await mkdtemp(join(tmpdir(), 'attain-connect-test-'));
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe('a database that cannot be reached', () => {
  it('throws DatabaseUnavailableError naming host, port and database, with the password masked', async () => {
    const error = await openDatabase({ url: 'postgres://attain:s3cr3t@127.0.0.1:1/reports', dataDir: scratch }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    const { name, message, cause } = error as DatabaseUnavailableError;
    expect(name).toBe('DatabaseUnavailableError');
    expect(message).toBe(
      'cannot reach PostgreSQL at 127.0.0.1:1, database reports (postgres://attain:****@127.0.0.1:1/reports): connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(message).not.toContain('s3cr3t');
    expect(cause).toBeInstanceOf(Error);
  });

  it('names the cause for a host name too', async () => {
    const error = (await openDatabase({ url: 'postgresql://me:pw@localhost:1/db', dataDir: scratch }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error.message).toMatch(
      /^cannot reach PostgreSQL at localhost:1, database db \(postgresql:\/\/me:\*\*\*\*@localhost:1\/db\): .*ECONNREFUSED/,
    );
  });

  it('rejects a URL that is not a PostgreSQL URL without echoing it', async () => {
    await expect(openDatabase({ url: 'not a url with secret', dataDir: scratch })).rejects.toThrow(DatabaseConfigError);
    await expect(openDatabase({ url: 'not a url with secret', dataDir: scratch })).rejects.toThrow(
      /^the database URL is not a valid URL/,
    );
    await expect(openDatabase({ url: 'mysql://u:p@h/db', dataDir: scratch })).rejects.toThrow(
      'must start with postgres://',
    );
    await expect(openDatabase({ url: POSTGRES_URL, dataDir: scratch, schema: 'Robert"); drop' })).rejects.toThrow(
      'schema name',
    );
  });
});

describe('describeCause', () => {
  it('spells out an AggregateError with no message (Node connecting to localhost on two address families)', () => {
    const refused = (address: string) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });
    const error = Object.assign(new AggregateError([refused('::1:5432'), refused('127.0.0.1:5432')], ''), {
      code: 'ECONNREFUSED',
    });
    expect(describeCause(error)).toBe(
      'ECONNREFUSED; connect ECONNREFUSED ::1:5432; connect ECONNREFUSED 127.0.0.1:5432',
    );
    expect(describeCause('plain')).toBe('plain');
  });
});

describe('parsePostgresUrl', () => {
  it('masks the password and defaults port and database', () => {
    expect(parsePostgresUrl('postgres://attain:p%40ss@db.internal/test')).toEqual({
      masked: 'postgres://attain:****@db.internal/test',
      hostPort: 'db.internal:5432',
      database: 'test',
    });
    expect(parsePostgresUrl('postgres://attain@10.0.0.5:6543')).toMatchObject({
      hostPort: '10.0.0.5:6543',
      database: 'attain',
    });
    expect(parsePostgresUrl('postgres:///reports?host=/var/run/postgresql&password=x')).toEqual({
      masked: 'postgres:///reports?host=%2Fvar%2Frun%2Fpostgresql&password=****',
      hostPort: '/var/run/postgresql:5432',
      database: 'reports',
    });
  });
});

forEachBackend((backend) => {
  it('describes where the data is, without secrets', () => {
    if (backend.name === 'pglite')
      expect(backend.database.describe).toBe(
        `embedded PostgreSQL (PGlite) at ${join(backend.workspaceDataDir, 'pglite')}`,
      );
    else expect(backend.database.describe).toBe(`${POSTGRES_URL} (schema ${backend.schema})`);
    expect(backend.database.backend).toBe(backend.name);
  });

  it('works in the schema it was given', async () => {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(backend.db);
    expect(rows[0]?.schema).toBe(backend.name === 'postgres' ? backend.schema : 'public');
  });

  if (backend.name === 'postgres')
    it('reports a database that does not exist as unavailable', async () => {
      const url = POSTGRES_URL.replace(/\/[^/]*$/, '/attain_no_such_database');
      await expect(openDatabase({ url, dataDir: scratch })).rejects.toThrow(
        /database attain_no_such_database .*does not exist/,
      );
    });
});
