/**
 * What commission accounting reads from the reporting database (docs/accounting.md): every stored
 * payout line (statement-store.ts) and the deals their traces name, with the fields that carry a
 * contract's term and start.
 */
import type { Kysely } from 'kysely';
import type { AccountingDeal } from '../domain/accounting.js';
import type { Database } from './schema.js';

/** The synced deals with these ids: name, close date and extra fields. */
export async function readAccountingDeals(db: Kysely<Database>, ids: readonly string[]): Promise<AccountingDeal[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('deals')
    .select(['id', 'name', 'close_date', 'fields'])
    .where('id', '=', (eb) => eb.fn.any(eb.val([...ids])))
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, closeDate: r.close_date, fields: r.fields ?? {} }));
}
