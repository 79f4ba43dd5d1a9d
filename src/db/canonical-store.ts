/**
 * The synced (canonical) data in the reporting database: written by `attain run` after each sync,
 * read back by `attain calc` for a CRM source. Every row carries the source it came from.
 */
import { sql, type Kysely } from 'kysely';
import type {
  Account,
  Assignment,
  CanonicalData,
  Deal,
  FxRate,
  Quota,
  Rep,
  Split,
  TerritoryAssignment,
} from '../domain/model.js';
import { arrayLiteral, bulkInsert, type BulkColumn } from './bulk-insert.js';
import type { Database } from './schema.js';

export interface UpsertCanonicalOptions {
  /**
   * `snapshot` (default): `data` is everything this source holds now, so rows of this source that
   * are not in it are deleted (a quota row removed from quotas.csv, an assignment whose start date
   * was edited). `incremental`: `data` holds only what changed since the last sync (a CRM cursor
   * sync); rows are upserted, a deal's splits replaced with the ones given for it, nothing else
   * deleted (the source marks deletions with `deleted`).
   */
  mode?: 'snapshot' | 'incremental';
}

export interface CanonicalCounts {
  reps: number;
  deals: number;
  splits: number;
  quotas: number;
  assignments: number;
  fxRates: number;
  accounts?: number;
  territoryAssignments?: number;
}

const optional = (value: string | undefined): string | null => value ?? null;

export const repColumns: BulkColumn<Rep>[] = [
  { name: 'id', type: 'text', value: (r) => r.id },
  { name: 'name', type: 'text', value: (r) => r.name },
  { name: 'email', type: 'text', value: (r) => r.email },
  { name: 'manager_id', type: 'text', value: (r) => optional(r.managerId) },
  { name: 'active', type: 'boolean', value: (r) => r.active },
  { name: 'hire_date', type: 'date', value: (r) => optional(r.hireDate) },
  { name: 'end_date', type: 'date', value: (r) => optional(r.endDate) },
  { name: 'employee_id', type: 'text', value: (r) => optional(r.employeeId) },
];

export const dealColumns: BulkColumn<Deal>[] = [
  { name: 'id', type: 'text', value: (d) => d.id },
  { name: 'name', type: 'text', value: (d) => d.name },
  { name: 'owner_id', type: 'text', value: (d) => d.ownerId },
  { name: 'amount', type: 'numeric', value: (d) => d.amount },
  { name: 'currency', type: 'text', value: (d) => d.currency },
  { name: 'close_date', type: 'date', value: (d) => d.closeDate },
  { name: 'stage', type: 'text', value: (d) => d.stage },
  { name: 'type', type: 'text', value: (d) => optional(d.type) },
  { name: 'fields', type: 'jsonb', value: (d) => d.fields },
  { name: 'deleted', type: 'boolean', value: (d) => d.deleted },
  { name: 'last_modified', type: 'text', value: (d) => optional(d.lastModified) },
  { name: 'account_id', type: 'text', value: (d) => optional(d.accountId) },
];

export const accountColumns: BulkColumn<Account>[] = [
  { name: 'id', type: 'text', value: (a) => a.id },
  { name: 'name', type: 'text', value: (a) => a.name },
  { name: 'owner_id', type: 'text', value: (a) => optional(a.ownerId) },
  { name: 'country', type: 'text', value: (a) => optional(a.country) },
  { name: 'region', type: 'text', value: (a) => optional(a.region) },
  { name: 'postal_code', type: 'text', value: (a) => optional(a.postalCode) },
  { name: 'industry', type: 'text', value: (a) => optional(a.industry) },
  { name: 'employees', type: 'numeric', value: (a) => optional(a.employees) },
  { name: 'annual_revenue', type: 'numeric', value: (a) => optional(a.annualRevenue) },
  { name: 'fields', type: 'jsonb', value: (a) => a.fields },
  { name: 'deleted', type: 'boolean', value: (a) => a.deleted },
  { name: 'last_modified', type: 'text', value: (a) => optional(a.lastModified) },
];

const territoryAssignmentColumns: BulkColumn<TerritoryAssignment>[] = [
  { name: 'rep_id', type: 'text', value: (a) => a.repId },
  { name: 'territory_id', type: 'text', value: (a) => a.territoryId },
  { name: 'role', type: 'text', value: (a) => a.role },
  { name: 'percent', type: 'numeric', value: (a) => a.percent },
  { name: 'from_date', type: 'date', value: (a) => a.from },
  { name: 'to_date', type: 'date', value: (a) => optional(a.to) },
];

export const splitColumns: BulkColumn<Split>[] = [
  { name: 'deal_id', type: 'text', value: (s) => s.dealId },
  { name: 'rep_id', type: 'text', value: (s) => s.repId },
  { name: 'percent', type: 'numeric', value: (s) => s.percent },
  { name: 'kind', type: 'text', value: (s) => s.kind },
];

const quotaColumns: BulkColumn<Quota>[] = [
  { name: 'rep_id', type: 'text', value: (q) => q.repId },
  { name: 'period', type: 'text', value: (q) => q.period },
  { name: 'amount', type: 'numeric', value: (q) => q.amount },
];

const assignmentColumns: BulkColumn<Assignment>[] = [
  { name: 'rep_id', type: 'text', value: (a) => a.repId },
  { name: 'plan_id', type: 'text', value: (a) => a.planId },
  { name: 'from_date', type: 'date', value: (a) => a.from },
  { name: 'to_date', type: 'date', value: (a) => optional(a.to) },
];

export const fxColumns: BulkColumn<FxRate>[] = [
  { name: 'currency', type: 'text', value: (f) => f.currency },
  { name: 'from_date', type: 'date', value: (f) => f.from },
  { name: 'rate', type: 'numeric', value: (f) => f.rate },
];

/**
 * Stores what a source gave, in one transaction (a failure leaves the previous data). Idempotent:
 * storing the same data twice leaves the same rows. A key that another source already holds is
 * taken over by this one; a key given twice keeps the last row.
 */
export async function upsertCanonical(
  db: Kysely<Database>,
  data: CanonicalData,
  source: string,
  options: UpsertCanonicalOptions = {},
): Promise<CanonicalCounts> {
  const snapshot = (options.mode ?? 'snapshot') === 'snapshot';
  const constants = { source };
  await db.transaction().execute(async (trx) => {
    if (snapshot) {
      for (const table of [
        'reps',
        'deals',
        'splits',
        'quotas',
        'assignments',
        'fx_rates',
        'accounts',
        'territory_assignments',
      ] as const) {
        await trx.deleteFrom(table).where('source', '=', source).execute();
      }
    } else if (data.deals.length > 0) {
      // The deals given bring their whole set of splits; deals not given keep theirs.
      const dealIds = arrayLiteral(data.deals.map((d) => d.id));
      await trx
        .deleteFrom('splits')
        .where(sql<boolean>`deal_id = any(${dealIds}::text[])`)
        .execute();
    }
    await bulkInsert(trx, 'deals', dealColumns, data.deals, { constants, upsertOn: ['id'] });
    await bulkInsert(trx, 'splits', splitColumns, data.splits, { constants });
    await upsertAllButDeals(trx, data, constants);
  });
  return { deals: data.deals.length, splits: data.splits.length, ...countsAllButDeals(data) };
}

/** The reps, quotas, assignments, exchange rates, accounts and territory assignments given, upserted. */
async function upsertAllButDeals(
  trx: Kysely<Database>,
  data: CanonicalData,
  constants: Record<string, string>,
): Promise<void> {
  await bulkInsert(trx, 'reps', repColumns, data.reps, { constants, upsertOn: ['id'] });
  await bulkInsert(trx, 'quotas', quotaColumns, data.quotas, { constants, upsertOn: ['rep_id', 'period'] });
  await bulkInsert(trx, 'assignments', assignmentColumns, data.assignments, {
    constants,
    upsertOn: ['rep_id', 'plan_id', 'from_date'],
  });
  await bulkInsert(trx, 'fx_rates', fxColumns, data.fxRates, { constants, upsertOn: ['currency', 'from_date'] });
  await bulkInsert(trx, 'accounts', accountColumns, data.accounts ?? [], { constants, upsertOn: ['id'] });
  await bulkInsert(trx, 'territory_assignments', territoryAssignmentColumns, data.territoryAssignments ?? [], {
    constants,
    upsertOn: ['rep_id', 'territory_id', 'role', 'from_date'],
  });
}

function countsAllButDeals(data: CanonicalData): Omit<CanonicalCounts, 'deals' | 'splits'> {
  return {
    reps: data.reps.length,
    quotas: data.quotas.length,
    assignments: data.assignments.length,
    fxRates: data.fxRates.length,
    ...(data.accounts ? { accounts: data.accounts.length } : {}),
    ...(data.territoryAssignments ? { territoryAssignments: data.territoryAssignments.length } : {}),
  };
}

/**
 * One part of a source's deals, with every split of those deals (docs/architecture.md#the-store-in-parts):
 * the deals upserted, the splits of the deals it has splits for replaced, in one transaction. Parts with disjoint
 * deals run side by side; {@link storeCanonicalRest} removes what no part holds.
 */
export async function storeDealsPart(
  db: Kysely<Database>,
  part: { deals: readonly Deal[]; splits: readonly Split[] },
  source: string,
): Promise<{ deals: number; splits: number }> {
  const constants = { source };
  // Only the deals this part has splits for: a deal that lost all its splits loses them in
  // storeCanonicalRest, so no two transactions ever delete the same rows (nor deadlock doing so).
  const dealIds = [...new Set(part.splits.map((s) => s.dealId))];
  await db.transaction().execute(async (trx) => {
    await bulkInsert(trx, 'deals', dealColumns, part.deals, { constants, upsertOn: ['id'] });
    if (dealIds.length > 0) {
      await trx
        .deleteFrom('splits')
        .where('source', '=', source)
        .where(sql<boolean>`deal_id = any(${arrayLiteral(dealIds)}::text[])`)
        .execute();
    }
    await bulkInsert(trx, 'splits', splitColumns, part.splits, { constants });
  });
  return { deals: part.deals.length, splits: part.splits.length };
}

/**
 * Everything of a snapshot but its deals and splits (reps, quotas, assignments, exchange rates,
 * accounts, territory assignments: replaced, in one transaction), and the source's deals and
 * splits of deals the snapshot does not hold removed: with every part of {@link storeDealsPart}
 * stored, the tables hold what `upsertCanonical` would have left.
 */
export async function storeCanonicalRest(
  db: Kysely<Database>,
  data: CanonicalData,
  source: string,
): Promise<Omit<CanonicalCounts, 'deals' | 'splits'>> {
  const constants = { source };
  const dealIds = arrayLiteral(data.deals.map((d) => d.id));
  const splitDealIds = arrayLiteral([...new Set(data.splits.map((s) => s.dealId))]);
  await db.transaction().execute(async (trx) => {
    for (const table of ['reps', 'quotas', 'assignments', 'fx_rates', 'accounts', 'territory_assignments'] as const) {
      await trx.deleteFrom(table).where('source', '=', source).execute();
    }
    // An anti-join on the ids given as one array: `<> all(array)` would compare each row with every id.
    await trx
      .deleteFrom('deals')
      .where('source', '=', source)
      .where(sql<boolean>`not exists (select 1 from unnest(${dealIds}::text[]) as k(id) where k.id = deals.id)`)
      .execute();
    await trx
      .deleteFrom('splits')
      .where('source', '=', source)
      .where(
        sql<boolean>`not exists (select 1 from unnest(${splitDealIds}::text[]) as k(id) where k.id = splits.deal_id)`,
      )
      .execute();
    await upsertAllButDeals(trx, data, constants);
  });
  return countsAllButDeals(data);
}

/**
 * The stored canonical data, in a stable order (by key), with optional fields left out where
 * null, as a connector would have produced it. `source` limits it to one source's rows.
 */
export async function readCanonical(db: Kysely<Database>, options: { source?: string } = {}): Promise<CanonicalData> {
  const { source } = options;
  const ofSource = source === undefined ? sql<boolean>`true` : sql<boolean>`source = ${source}`;
  // One snapshot: a run storing new data meanwhile is seen entirely or not at all.
  const [reps, deals, splits, quotas, assignments, fxRates, accounts, territoryAssignments] = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(
      async (trx) =>
        [
          await trx.selectFrom('reps').selectAll().where(ofSource).orderBy('id').execute(),
          await trx.selectFrom('deals').selectAll().where(ofSource).orderBy('id').execute(),
          await trx
            .selectFrom('splits')
            .selectAll()
            .where(ofSource)
            .orderBy('deal_id')
            .orderBy('kind')
            .orderBy('rep_id')
            .orderBy('percent')
            .execute(),
          await trx.selectFrom('quotas').selectAll().where(ofSource).orderBy('rep_id').orderBy('period').execute(),
          await trx
            .selectFrom('assignments')
            .selectAll()
            .where(ofSource)
            .orderBy('rep_id')
            .orderBy('plan_id')
            .orderBy('from_date')
            .execute(),
          await trx
            .selectFrom('fx_rates')
            .selectAll()
            .where(ofSource)
            .orderBy('currency')
            .orderBy('from_date')
            .execute(),
          await trx.selectFrom('accounts').selectAll().where(ofSource).orderBy('id').execute(),
          await trx
            .selectFrom('territory_assignments')
            .selectAll()
            .where(ofSource)
            .orderBy('territory_id')
            .orderBy('rep_id')
            .orderBy('role')
            .orderBy('from_date')
            .execute(),
        ] as const,
    );
  return {
    reps: reps.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      ...(r.manager_id === null ? {} : { managerId: r.manager_id }),
      active: r.active,
      ...(r.hire_date === null ? {} : { hireDate: r.hire_date }),
      ...(r.end_date === null ? {} : { endDate: r.end_date }),
      ...(r.employee_id === null ? {} : { employeeId: r.employee_id }),
    })),
    deals: deals.map((d) => ({
      id: d.id,
      name: d.name,
      ownerId: d.owner_id,
      amount: d.amount,
      currency: d.currency,
      closeDate: d.close_date,
      stage: d.stage,
      ...(d.type === null ? {} : { type: d.type }),
      fields: d.fields,
      ...(d.last_modified === null ? {} : { lastModified: d.last_modified }),
      deleted: d.deleted,
      ...(d.account_id === null ? {} : { accountId: d.account_id }),
    })),
    splits: splits.map((s) => ({ dealId: s.deal_id, repId: s.rep_id, percent: s.percent, kind: s.kind })),
    quotas: quotas.map((q) => ({ repId: q.rep_id, period: q.period, amount: q.amount })),
    assignments: assignments.map((a) => ({
      repId: a.rep_id,
      planId: a.plan_id,
      from: a.from_date,
      ...(a.to_date === null ? {} : { to: a.to_date }),
    })),
    fxRates: fxRates.map((f) => ({ currency: f.currency, from: f.from_date, rate: f.rate })),
    // Only when there are any, as a source without accounts gives none (the stored input stays the same).
    ...(accounts.length === 0
      ? {}
      : {
          accounts: accounts.map((a) => ({
            id: a.id,
            name: a.name,
            ...(a.owner_id === null ? {} : { ownerId: a.owner_id }),
            ...(a.country === null ? {} : { country: a.country }),
            ...(a.region === null ? {} : { region: a.region }),
            ...(a.postal_code === null ? {} : { postalCode: a.postal_code }),
            ...(a.industry === null ? {} : { industry: a.industry }),
            ...(a.employees === null ? {} : { employees: a.employees }),
            ...(a.annual_revenue === null ? {} : { annualRevenue: a.annual_revenue }),
            fields: a.fields,
            ...(a.last_modified === null ? {} : { lastModified: a.last_modified }),
            deleted: a.deleted,
          })),
        }),
    ...(territoryAssignments.length === 0
      ? {}
      : {
          territoryAssignments: territoryAssignments.map((a) => ({
            repId: a.rep_id,
            territoryId: a.territory_id,
            role: a.role,
            percent: a.percent,
            from: a.from_date,
            ...(a.to_date === null ? {} : { to: a.to_date }),
          })),
        }),
  };
}
