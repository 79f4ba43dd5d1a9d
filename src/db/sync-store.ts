/**
 * The `SyncStore` a CRM connector writes through (connectors/source.ts): each page's canonical
 * rows, its rejects and the object's cursor in one transaction, so that a cursor is never ahead of
 * what is stored and a failed page leaves the previous state.
 */
import { sql, type Kysely } from 'kysely';
import { rejectUnstorableText, type SyncPage, type SyncStore } from '../domain/sync-page.js';
import type { Reject } from '../domain/model.js';
import { arrayLiteral, bulkInsert } from './bulk-insert.js';
import { accountColumns, dealColumns, fxColumns, repColumns, splitColumns } from './canonical-store.js';
import type { Database } from './schema.js';

export function createSyncStore(db: Kysely<Database>, source: string): SyncStore {
  return {
    async cursor(object) {
      const row = await db
        .selectFrom('sync_cursors')
        .select('cursor')
        .where('source', '=', source)
        .where('object', '=', object)
        .executeTakeFirst();
      return row?.cursor;
    },
    async resetCursor(object) {
      await db.deleteFrom('sync_cursors').where('source', '=', source).where('object', '=', object).execute();
    },
    storePage: (page) => storePage(db, source, page),
  };
}

async function storePage(db: Kysely<Database>, source: string, given: SyncPage): Promise<void> {
  const page = rejectUnstorableText(given, source);
  const constants = { source };
  const { object } = page;
  // Every record the page holds, usable or not: its earlier reject (if any) is settled by this page.
  const held = [
    ...(page.reps ?? []).map((r) => r.id),
    ...(page.deals ?? []).map((d) => d.id),
    ...(page.accounts ?? []).map((a) => a.id),
    ...(page.rejects ?? []).map((r) => r.recordId),
    ...(page.seen ?? []),
  ];
  await db.transaction().execute(async (trx) => {
    await bulkInsert(trx, 'reps', repColumns, page.reps ?? [], { constants, upsertOn: ['id'] });
    await bulkInsert(trx, 'deals', dealColumns, page.deals ?? [], { constants, upsertOn: ['id'] });
    await bulkInsert(trx, 'accounts', accountColumns, page.accounts ?? [], { constants, upsertOn: ['id'] });
    if (page.splits && page.splits.dealIds.length > 0) {
      await trx
        .deleteFrom('splits')
        .where(sql<boolean>`deal_id = any(${arrayLiteral(page.splits.dealIds)}::text[])`)
        .execute();
      await bulkInsert(trx, 'splits', splitColumns, page.splits.splits, { constants });
    }
    if (page.seen && page.seen.length > 0) {
      await trx
        .updateTable('deals')
        .set({ deleted: true })
        .where('source', '=', source)
        .where('deleted', '=', false)
        .where(sql<boolean>`id = any(${arrayLiteral(page.seen)}::text[])`)
        .execute();
    }
    await bulkInsert(trx, 'fx_rates', fxColumns, page.fxRates ?? [], {
      constants,
      upsertOn: ['currency', 'from_date'],
    });
    if (held.length > 0) {
      await trx
        .deleteFrom('sync_rejects')
        .where('source', '=', source)
        .where('object', '=', object)
        .where(sql<boolean>`record_id = any(${arrayLiteral(held)}::text[])`)
        .execute();
    }
    // Cleared above; one row per record (the last reject given for it).
    const rejects = [...new Map((page.rejects ?? []).map((r) => [r.recordId, r])).values()];
    if (rejects.length > 0) {
      await bulkInsert(
        trx,
        'sync_rejects',
        [
          { name: 'record_id', type: 'text', value: (r: Reject) => r.recordId },
          { name: 'origin', type: 'text', value: (r: Reject) => r.source },
          { name: 'reason', type: 'text', value: (r: Reject) => r.reason },
        ],
        rejects,
        { constants: { source, object } },
      );
    }
    if (page.cursor !== undefined) {
      await trx
        .insertInto('sync_cursors')
        .values({ source, object, cursor: page.cursor })
        .onConflict((oc) =>
          oc.columns(['source', 'object']).doUpdateSet({ cursor: page.cursor!, updated_at: sql`now()` }),
        )
        .execute();
    }
  });
}

/** The rejects a source's syncs left standing, in a stable order. */
export async function listSyncRejects(db: Kysely<Database>, source: string): Promise<Reject[]> {
  const rows = await db
    .selectFrom('sync_rejects')
    .select(['origin', 'record_id', 'reason'])
    .where('source', '=', source)
    .orderBy('object')
    .orderBy('record_id')
    .execute();
  return rows.map((r) => ({ source: r.origin, recordId: r.record_id, reason: r.reason }));
}
