/**
 * `writeback_state`: per CRM target and record key, the hash of what the CRM last accepted, the
 * CRM's id of the record, and its status (`ok`, `failed`, `incomplete`, `remove-failed`) with the
 * CRM's reason. jobs/write-back.ts decides what to send from it.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface WritebackStateRow {
  key: string;
  hash: string;
  status: string;
  external_id: string | null;
}

/** What a record's write ended as, to be remembered. */
export interface WritebackStateUpdate {
  key: string;
  hash: string;
  externalId?: string;
  status: string;
  error: string | null;
}

/** Every record known for `target`. */
export async function readWritebackState(db: Kysely<Database>, target: string): Promise<WritebackStateRow[]> {
  return db
    .selectFrom('writeback_state')
    .select(['key', 'hash', 'status', 'external_id'])
    .where('target', '=', target)
    .execute();
}

/** Upserts by target and key; a CRM that did not say the id again keeps the one it gave before. */
export async function saveWritebackState(
  db: Kysely<Database>,
  target: string,
  rows: readonly WritebackStateUpdate[],
): Promise<void> {
  for (let start = 0; start < rows.length; start += 5_000) {
    const chunk = rows.slice(start, start + 5_000);
    await db
      .insertInto('writeback_state')
      .values(
        chunk.map((o) => ({
          target,
          key: o.key,
          hash: o.hash,
          external_id: o.externalId ?? null,
          status: o.status,
          error: o.error,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['target', 'key']).doUpdateSet((eb) => ({
          hash: eb.ref('excluded.hash'),
          // A CRM that did not say the id again keeps the one it gave before.
          external_id: sql<string | null>`coalesce(excluded.external_id, writeback_state.external_id)`,
          status: eb.ref('excluded.status'),
          error: eb.ref('excluded.error'),
          updated_at: sql<Date>`now()`,
        })),
      )
      .execute();
  }
}

/** Forgets the records the CRM removed. */
export async function deleteWritebackState(
  db: Kysely<Database>,
  target: string,
  keys: readonly string[],
): Promise<void> {
  for (let start = 0; start < keys.length; start += 10_000) {
    await db
      .deleteFrom('writeback_state')
      .where('target', '=', target)
      .where('key', 'in', keys.slice(start, start + 10_000))
      .execute();
  }
}
