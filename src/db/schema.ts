/**
 * The reporting database's tables and views as Kysely sees them (docs/database.md): one `Database`
 * interface, kept in step with the migrations by hand (the migrations themselves never import it).
 *
 * Type conventions, the same on both backends (connect.ts configures the parsers):
 * - `numeric` (money, percents, rates, attainment) is a decimal string, exactly as stored: an
 *   unconstrained `numeric` keeps the scale it was written with, so `"1234.50"` reads back as
 *   `"1234.50"` and a `sum()` has the largest scale of its terms. Never a JS number.
 * - `date` is a `YYYY-MM-DD` string (no time zone shifts), `timestamptz` a JS `Date`.
 * - `jsonb` is written as a JSON string (so arrays are not taken for PostgreSQL arrays) and read
 *   back parsed.
 * - `bigint` reads back as a string; the views cast their counts and ranks to `integer`.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

/** A jsonb column: parsed on read, a JSON string on write. */
export type Json<T> = ColumnType<T, string, string>;
/** A `timestamptz` column filled by `default now()` unless given. */
export type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

// ---- Synced (canonical) data (src/domain/model.ts). `source` names where a row came from (`csv`, `salesforce`). ----

export interface RepsTable {
  id: string;
  name: string;
  email: string;
  manager_id: string | null;
  active: boolean;
  hire_date: string | null;
  end_date: string | null;
  /** The rep's payroll id (reps.csv `employeeId`, Salesforce User.EmployeeNumber); read by the payroll export. */
  employee_id: string | null;
  source: string;
}

export interface DealsTable {
  id: string;
  name: string;
  owner_id: string;
  amount: string;
  currency: string;
  close_date: string;
  stage: 'open' | 'won' | 'lost';
  type: string | null;
  /** Other mapped fields, usable in plan `where` filters. */
  fields: Json<Record<string, string | number | boolean | null>>;
  deleted: boolean;
  /** As the source gave it (an ISO 8601 timestamp or date), kept verbatim. */
  last_modified: string | null;
  source: string;
  /** The deal's account (docs/territories.md); null when the source gave none. */
  account_id: Generated<string | null>;
}

/** Customer accounts (docs/territories.md#accounts). */
export interface AccountsTable {
  id: string;
  name: string;
  owner_id: string | null;
  country: string | null;
  region: string | null;
  postal_code: string | null;
  industry: string | null;
  employees: string | null;
  annual_revenue: string | null;
  fields: Json<Record<string, string | number | boolean | null>>;
  deleted: boolean;
  last_modified: string | null;
  source: string;
}

/** Reps holding territories (data/territory-assignments.csv, docs/territories.md#reps-and-territories). */
export interface TerritoryAssignmentsTable {
  rep_id: string;
  territory_id: string;
  role: 'owner' | 'overlay';
  percent: string;
  from_date: string;
  to_date: string | null;
  source: string;
}

export interface SplitsTable {
  deal_id: string;
  rep_id: string;
  percent: string;
  kind: 'revenue' | 'overlay';
  source: string;
}

export interface QuotasTable {
  rep_id: string;
  period: string;
  amount: string;
  source: string;
}

export interface AssignmentsTable {
  rep_id: string;
  plan_id: string;
  from_date: string;
  /** Inclusive; null means open-ended. */
  to_date: string | null;
  source: string;
}

export interface FxRatesTable {
  currency: string;
  from_date: string;
  /** Units of `currency` per 1 unit of the base currency. */
  rate: string;
  source: string;
}

// ---- Runs and their results ----

export type RunStatus = 'running' | 'succeeded' | 'failed';

export interface RunsTable {
  id: string;
  /** What started it: `manual`, `schedule`, `replay`, … */
  trigger: string;
  started_at: CreatedAt;
  finished_at: Date | null;
  status: RunStatus;
  /** sha256 of the engine input stored for the run (run_inputs), as JSON text; `pending` until the sync step stored it. */
  inputs_hash: string;
  /** Plan id → the version (content hash) of the plan the run used. */
  plan_versions: Json<Record<string, string>>;
  /** Whatever the run counted: reps, deals, lines, rejects, … */
  counts: Json<Record<string, number>> | null;
  error: string | null;
  /** sha256 of the engine's result (jobs/calculate.ts, runResultHash); null until the run has calculated. */
  result_hash: string | null;
}

/** A part of a run's source read by its own job (a byte range of a data file), until the sync step puts the parts together. */
export interface RunInputPartsTable {
  run_id: string;
  file: string;
  /** The range's number in the file, from 0. */
  part: number;
  /** How `content` is encoded: `columns+brotli` (connectors/csv/csv-part-codec.ts). */
  format: string;
  content: Uint8Array;
  created_at: ColumnType<Date | null, Date | string | undefined, Date | string>;
}

/** A run's engine input, as `attain replay` reads it back (run-inputs.ts). */
export interface RunInputsTable {
  run_id: string;
  /** How `inputs` is encoded: `json+gzip`. */
  format: string;
  /** pg reads bytea as a Buffer, PGlite as a Uint8Array. */
  inputs: Uint8Array;
  created_at: ColumnType<Date | null, Date | string | undefined, Date | string>;
}

export interface PayoutLinesTable {
  /** The run that wrote the line. */
  run_id: string;
  rep_id: string;
  plan_id: string;
  period: string;
  component: string;
  amount: string;
  currency: string;
  trace: Json<Record<string, unknown>>;
}

/** What an open deal would pay a rep (docs/estimates.md): replaced whole by every run. */
export interface EstimatesTable {
  run_id: string;
  deal_id: string;
  rep_id: string;
  plan_id: string;
  amount: string;
  currency: string;
  close_date: string;
  trace: Json<Record<string, unknown>>;
}

/** Per estimate and payout period, its commission weighted by the deal's probability (docs/report.md#liability-forecast). */
export interface LiabilityForecastTable {
  run_id: string;
  deal_id: string;
  rep_id: string;
  plan_id: string;
  period: string;
  currency: string;
  commission: string;
  probability: string | null;
  expected: string | null;
  reason: string | null;
}

export interface CommissionLiabilityForecastView {
  /** The payout period. */
  period: string;
  rep_id: string;
  rep_name: string | null;
  manager_id: string | null;
  plan_id: string;
  currency: string;
  deals: number;
  /** Unweighted commission of the open pipeline. */
  pipeline: string;
  /** Weighted by stage probability. */
  expected: string;
  deals_without_probability: number;
}

export interface EstimatesByDealView {
  deal_id: string;
  deal_name: string | null;
  deal_amount: string | null;
  deal_currency: string | null;
  close_date: string;
  rep_id: string;
  rep_name: string | null;
  manager_id: string | null;
  plan_id: string;
  amount: string;
  currency: string;
  /** `credited` or `manager`. */
  role: string | null;
  run_id: string;
}

export interface AttainmentTable {
  run_id: string;
  rep_id: string;
  plan_id: string;
  period: string;
  measure: string;
  credit: string;
  quota: string | null;
  attainment: string | null;
}

export interface RejectsTable {
  run_id: string;
  source: string;
  record_id: string;
  reason: string;
}

/** Which run may write the database now (run-lease.ts). */
export interface RunLeaseTable {
  name: ColumnType<'run', 'run' | undefined, never>;
  run_id: string;
  runner: 'process' | 'queue';
  holder: string;
  queue_prefix: string | null;
  session_pid: number | null;
  acquired_at: CreatedAt;
  renewed_at: CreatedAt;
  expires_at: Date | null;
}

/** The rejects a step of a run found, until the run records them all in `rejects`. */
export interface StepRejectsTable {
  run_id: string;
  step: string;
  source: string;
  record_id: string;
  reason: string;
}

// ---- Locks ----

export interface LocksTable {
  period: string;
  locked_at: CreatedAt;
  locked_by: string;
  note: string | null;
}

export interface LockEventsTable {
  id: Generated<string>;
  period: string;
  action: 'lock' | 'unlock';
  force: boolean;
  actor: string;
  note: string | null;
  at: CreatedAt;
}

// ---- Payroll exports ----

/** One row per `attain export payroll`: what was written, so a file handed to payroll can be identified later. */
export interface PayrollExportsTable {
  id: Generated<string>;
  period: string;
  /** `csv` or `adp-wfn`. */
  format: string;
  draft: boolean;
  file_name: string;
  /** sha256 of the file's bytes. */
  sha256: string;
  rows: number;
  /** Currency → total exported, as decimal strings. */
  totals: Json<Record<string, string>>;
  exported_by: string;
  exported_at: CreatedAt;
}

/** A rep's acceptance of one version (content hash) of a plan: one row per rep, plan and version. */
export interface PlanAcknowledgementsTable {
  id: Generated<string>;
  rep_id: string;
  plan_id: string;
  plan_hash: string;
  /** YYYY-MM-DD. */
  acknowledged_on: string;
  recorded_by: string;
  /** `attain plan ack`, or `acknowledgements.csv:4`. */
  source: string;
  recorded_at: CreatedAt;
}

// ---- Incremental sync and write-back bookkeeping ----

export interface SyncCursorsTable {
  source: string;
  object: string;
  cursor: string;
  updated_at: CreatedAt;
}

export interface SyncRejectsTable {
  source: string;
  /** The CRM object: `Opportunity`, `deals`. */
  object: string;
  record_id: string;
  /** The reject's `source`: `salesforce Opportunity`. */
  origin: string;
  reason: string;
  updated_at: CreatedAt;
}

export interface WritebackStateTable {
  /** `salesforce` or `hubspot`. */
  target: string;
  /** The record's external id on our side: rep, plan, period, component. */
  key: string;
  /** Hash of the values last sent: unchanged records are not sent again. */
  hash: string;
  external_id: string | null;
  /**
   * `ok`; `failed` (refused, sent again next run); `incomplete` (written, but not associated to its
   * deal: sent again next run); `remove-failed` (gone here, the CRM refused to remove it).
   */
  status: string;
  /** Why, when the status is not `ok`. */
  error: string | null;
  updated_at: CreatedAt;
}

// ---- The pay cycle: audit log, disputes, approvals ----

/** Append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). */
export interface AuditEventsTable {
  id: Generated<string>;
  at: CreatedAt;
  /** `lock`, `unlock`, `approve`, `approval-void`, `dispute-open`, `dispute-resolve`, `plan-changed`, … */
  action: string;
  actor: string;
  /** What it is about: a period, `period plan`, a dispute id, a plan id. */
  subject: string;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  /** Set for events a retried step may record twice: the second insert does nothing. */
  key: string | null;
}

export interface DisputesTable {
  id: Generated<string>;
  line_key: string;
  plan_id: string;
  rep_id: string;
  period: string;
  component: string;
  status: 'open' | 'resolved';
  reason: string;
  opened_by: string;
  opened_at: CreatedAt;
  source: ColumnType<string, string | undefined, string>;
  external_id: string | null;
  line_amount: string;
  currency: string;
  resolved_by: string | null;
  resolved_at: Date | null;
  resolution: string | null;
  adjustment: string | null;
  adjustment_period: string | null;
  adjustment_run_id: string | null;
}

export interface DisputeEventsTable {
  id: Generated<string>;
  dispute_id: string;
  action: string;
  actor: string;
  note: string | null;
  at: CreatedAt;
}

export interface PeriodApprovalsTable {
  id: Generated<string>;
  period: string;
  plan_id: string | null;
  run_id: string;
  lines_hash: string;
  lines: Json<Record<string, string>>;
  approved_by: string;
  approved_at: CreatedAt;
  note: string | null;
  forced: boolean;
  voided_at: Date | null;
  voided_by_run: string | null;
  changes: Json<{ key: string; approved: string | null; now: string | null }[]> | null;
}

// ---- Views for BI tools (read-only) ----

export interface AttainmentByRepPeriodView {
  rep_id: string;
  rep_name: string | null;
  manager_id: string | null;
  plan_id: string;
  period: string;
  measure: string;
  credit: string;
  quota: string | null;
  attainment: string | null;
  run_id: string;
}

export interface PayoutsByRepPeriodView {
  rep_id: string;
  rep_name: string | null;
  plan_id: string;
  period: string;
  currency: string;
  total: string;
  lines: number;
}

export interface LeaderboardView {
  period: string;
  currency: string;
  rep_id: string;
  rep_name: string | null;
  total: string;
  /** 1 for the highest total in the period and currency; ties share a rank. */
  rank: number;
}

/** Analytics views (docs/report.md): one row per rep, grouped by whoever reads them. */
export interface AttainmentDistributionView {
  plan_id: string;
  period: string;
  measure: string;
  rep_id: string;
  rep_name: string | null;
  manager_id: string | null;
  credit: string;
  quota: string;
  attainment: string;
  /** The histogram bucket's lower bound: 0.0, 0.1, … 2.0 (2.0 holds 200 % and more). */
  bucket: string;
  at_or_above_target: boolean;
  run_id: string;
}

export interface CostOfSalesView {
  rep_id: string;
  rep_name: string | null;
  /** The rep's manager. */
  team_id: string | null;
  team_name: string | null;
  plan_id: string;
  /** The quota period. */
  period: string;
  currency: string | null;
  commissions: string;
  credited_bookings: string;
}

export interface CommissionLiabilityView {
  rep_id: string;
  rep_name: string | null;
  manager_id: string | null;
  plan_id: string;
  /** The payout period. */
  period: string;
  currency: string;
  earned: string;
  lines: number;
}

export interface Database {
  reps: RepsTable;
  deals: DealsTable;
  splits: SplitsTable;
  quotas: QuotasTable;
  assignments: AssignmentsTable;
  fx_rates: FxRatesTable;
  accounts: AccountsTable;
  territory_assignments: TerritoryAssignmentsTable;
  runs: RunsTable;
  run_inputs: RunInputsTable;
  run_input_parts: RunInputPartsTable;
  payout_lines: PayoutLinesTable;
  attainment: AttainmentTable;
  estimates: EstimatesTable;
  liability_forecast: LiabilityForecastTable;
  rejects: RejectsTable;
  run_lease: RunLeaseTable;
  step_rejects: StepRejectsTable;
  locks: LocksTable;
  lock_events: LockEventsTable;
  sync_cursors: SyncCursorsTable;
  sync_rejects: SyncRejectsTable;
  writeback_state: WritebackStateTable;
  audit_events: AuditEventsTable;
  disputes: DisputesTable;
  dispute_events: DisputeEventsTable;
  period_approvals: PeriodApprovalsTable;
  payroll_exports: PayrollExportsTable;
  plan_acknowledgements: PlanAcknowledgementsTable;
  attainment_by_rep_period: AttainmentByRepPeriodView;
  payouts_by_rep_period: PayoutsByRepPeriodView;
  leaderboard: LeaderboardView;
  estimates_by_deal: EstimatesByDealView;
  attainment_distribution: AttainmentDistributionView;
  cost_of_sales: CostOfSalesView;
  commission_liability: CommissionLiabilityView;
  commission_liability_forecast: CommissionLiabilityForecastView;
}

export type Run = Selectable<RunsTable>;
export type PlanAcknowledgement = Selectable<PlanAcknowledgementsTable>;
export type NewRun = Insertable<RunsTable>;
export type PeriodLock = Selectable<LocksTable>;
export type LockEvent = Selectable<LockEventsTable>;
export type PayrollExport = Selectable<PayrollExportsTable>;
