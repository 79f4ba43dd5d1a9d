/**
 * The contract between a CRM connector and the pipeline. A connector turns raw API records into
 * canonical ones (src/domain/model.ts) and writes commission records back; it never touches the engine, and
 * reaches the database only through the `SyncStore` it is given (src/domain/sync-page.ts: the
 * database layer implements it, so both sides depend on the domain, not on each other).
 *
 * Data flows one way: connector → `SyncStore.storePage` (canonical rows, rejects and the cursor in
 * one transaction) → database → engine → payout lines → `WritebackTarget` → CRM.
 */
import { AttainError } from '../src/domain/errors.js';
import type { SyncStore } from '../src/domain/sync-page.js';

export type { SyncPage, SyncStore } from '../src/domain/sync-page.js';

export interface SyncOptions {
  /** One line for the run's log (progress of long pulls, limits, early stops). Never a secret. */
  log: (message: string) => void;
  signal?: AbortSignal;
}

export interface SyncReport {
  /** Records read per object (stored, deleted or rejected). */
  records: Record<string, number>;
  /** API requests made. */
  apiCalls: number;
  /**
   * Set when the sync stopped early on purpose (the API allocation share for this run is used, a
   * daily limit was hit) with the reason; what was stored is kept and the next run resumes from
   * the cursor. The run still calculates on what is stored.
   */
  stoppedEarly?: string;
}

/** One commission record as the CRM shows it: one per rep × plan × payout period × component. */
export interface CommissionRecord {
  /** The external id: `<planId>|<repId>|<period>|<component>`. */
  key: string;
  repId: string;
  planId: string;
  period: string;
  component: string;
  /** Decimal string in `currency`. */
  amount: string;
  currency: string;
  /** The rep's attainment for the quota period holding `period`, a decimal ratio (`1.25`); absent without a quota. */
  attainment?: string;
  /** The line's trace, readable (indented JSON), at most `TRACE_TEXT_LIMIT` characters. */
  trace: string;
  /**
   * The canonical id of the one deal the line credits, when its trace credits exactly one
   * (src/domain/trace.ts `soleTracedDeal`); absent when it credits none or several. A target that
   * `associatesDeals` links the record to it; the others ignore it.
   */
  dealId?: string;
  /** First and last day of the payout period (`YYYY-MM-DD`), from `period` and the fiscal calendar. */
  periodStart?: string;
  periodEnd?: string;
  /**
   * The settlement of the latest dispute the rep raised on this record in this CRM, once it is
   * resolved in Attain's ledger: written into the record's dispute status and resolution. Absent:
   * the dispute fields are not sent at all, so what the rep wrote stays as it is.
   */
  settlement?: DisputeSettlement;
}

/** A resolved dispute, as written back (docs/write-back.md#disputes). */
export interface DisputeSettlement {
  /** The ledger's dispute number. */
  disputeId: string;
  /** The resolution in words: who, when, the note, and the adjustment with the period it is paid in. */
  resolution: string;
  /**
   * The CRM already accepted this settlement: a record sent again (its amount changed) leaves the
   * dispute fields alone, so a rep who reopened it meanwhile is not overwritten.
   */
  written?: boolean;
}

/**
 * A dispute a rep raised on their own commission record: the dispute status set to open, with a
 * reason (docs/write-back.md#disputes).
 */
export interface CrmDispute {
  /** The record's key: its payout line's key, `<planId>|<repId>|<period>|<component>`. */
  key: string;
  /** The CRM's id of the record. */
  recordId: string;
  reason: string;
  /** The record's amount and currency as the rep saw them (used when the line is gone from the results). */
  amount?: string;
  currency?: string;
}

/** Open disputes changed since a cursor, and the cursor to save once they are in the ledger. */
export interface DisputeRead {
  disputes: CrmDispute[];
  /** Absent: unchanged (nothing read, or the CRM has no dispute fields). */
  cursor?: string;
}

/** Salesforce long text areas hold 131,072 characters; HubSpot text properties 65,536. */
export const TRACE_TEXT_LIMIT = 65_536;

export interface WritebackOutcome {
  key: string;
  ok: boolean;
  /** The CRM's id of the record, when it told us. */
  externalId?: string;
  /** Why the CRM refused it: kept in `writeback_state` and retried on the next run. */
  error?: string;
  /**
   * Written (`ok`), but what the target does after the write failed for it (HubSpot: associating
   * it to its deal, a deal deleted since the sync). Kept in `writeback_state` like a refusal and
   * sent again next run, but it does not fail the step: the record itself is in the CRM.
   */
  warning?: string;
}

/** Where commission records go. Batching (200 per call, bulk jobs) is the target's business. */
export interface WritebackTarget {
  /** `writeback_state.target`: `salesforce` or `hubspot`. */
  readonly name: string;
  /** Links each record to its `dealId`: then a record whose deal changes is sent again (the deal is part of its hash). */
  readonly associatesDeals?: boolean;
  /**
   * Bumped when the target starts writing fields it did not write before (Salesforce: the period
   * dates and the opportunity lookup): part of every record's hash, so each record is sent once
   * more to fill them. Absent: the hash is what it always was.
   */
  readonly fieldsVersion?: number;
  /** Creates or updates by `key` (an external id): safe to repeat. One outcome per record, any order. */
  upsert(records: CommissionRecord[]): Promise<WritebackOutcome[]>;
  /** Deletes (or archives) records that no longer exist. `externalId` where known. */
  remove(records: { key: string; externalId?: string }[]): Promise<WritebackOutcome[]>;
}

/**
 * What an open deal would pay one rep in one plan, as the CRM shows it (docs/estimates.md#in-the-crm):
 * one record per open deal, rep and plan, owned by the rep and linked to the deal.
 */
export interface EstimateRecord {
  /** The external id: `<dealId>|<repId>|<planId>`. */
  key: string;
  dealId: string;
  repId: string;
  planId: string;
  /** Decimal string in `currency`: the change in the rep's payout of the plan if the deal closed won. */
  amount: string;
  currency: string;
  /** The close date the estimate assumes (`YYYY-MM-DD`). */
  closeDate: string;
  /** The estimate's trace, readable (indented JSON), at most `TRACE_TEXT_LIMIT` characters. */
  trace: string;
}

/**
 * Where estimates go, changed-only through the same diff as commission records (jobs/write-back.ts
 * `writeChanged`): upserted by `key`, removed when the estimate no longer exists.
 */
export interface EstimateTarget {
  /** `writeback_state.target`: e.g. `salesforce-estimates`. */
  readonly name: string;
  upsert(records: EstimateRecord[]): Promise<WritebackOutcome[]>;
  remove(records: { key: string; externalId?: string }[]): Promise<WritebackOutcome[]>;
}

/** One rep's statement of one period, as a file for the CRM (docs/statements-and-payroll.md#statements-in-the-crm). */
export interface StatementFile {
  /** `<repId>|<period>`: the statement record's external id. */
  key: string;
  repId: string;
  period: string;
  /** The record's name: `Statement <period> – <rep name>`. */
  title: string;
  status: string;
  /** The period's earnings per currency, as printed (`4,500.00 USD`). */
  totals: string;
  fileName: string;
  pdf: Buffer;
  /** What the target said its ids were last time (`StatementOutcome.externalId`), to add a new version. */
  externalId?: string;
}

/** Where statements go: a record per rep and period, owned by the rep, with the PDF as a file on it. */
export interface StatementTarget {
  /** `writeback_state.target`: e.g. `salesforce-statements`. */
  readonly name: string;
  upload(files: StatementFile[]): Promise<WritebackOutcome[]>;
}

export interface SourceConnector {
  /** `salesforce`, `hubspot`: the `source` column of the rows it stores. */
  readonly kind: string;
  /**
   * Checks, before anything is stored, that the connection works and that every mapped field
   * exists; then pulls everything changed since the saved cursors, page by page. Throws a
   * `ConnectorError`.
   */
  sync(store: SyncStore, options: SyncOptions): Promise<SyncReport>;
  /** The write-back target; checks it exists (`setup` created it) before the first write. */
  writeback(): Promise<WritebackTarget>;
  /**
   * Commission records whose dispute status is open and that changed since `cursor` (the one this
   * method returned last time), oldest change first. Reads nothing (no cursor) when the CRM's
   * commission object has no dispute fields or does not exist yet.
   */
  readDisputes?(cursor: string | undefined, options: SyncOptions): Promise<DisputeRead>;
  /**
   * Where estimates go; resolves to undefined (having logged why) when the CRM has no estimate
   * object yet, so the commission write-back goes on without them.
   */
  estimates?(): Promise<EstimateTarget | undefined>;
  /** Where statement PDFs go; absent when the CRM cannot hold them with the access Attain has. */
  statements?(): Promise<StatementTarget>;
  /** Releases sockets and timers. */
  close(): Promise<void>;
}

/**
 * A workspace's source of reps, deals, splits and exchange rates, whatever its kind
 * (registry.ts `sourceOf`). Every source is read from the workspace's data files (data/, read by
 * connectors/csv) — all of them, or only `files`; a source that `connect`s is a CRM: its records
 * are synced into the reporting database incrementally and read from there, combined with those
 * files (jobs/prepare-calculation.ts), and it has a write-back target.
 */
export interface Source {
  /** `source.kind`: the `source` column of the rows it stores. */
  readonly kind: string;
  /** The data files read beside the source; absent: every file (reps, deals, splits, quotas, assignments, fx). */
  readonly files?: readonly string[];
  /** Opens the CRM: incremental sync and the write-back target. Absent: the records are the files. */
  connect?(options: Omit<ConnectorOptions<unknown>, 'config'>): Promise<SourceConnector>;
}

/** Given to a connector factory: its block of attain.yaml, with `${VAR}` already substituted. */
export interface ConnectorOptions<Config> {
  config: Config;
  /** The workspace folder (for `privateKeyFile` and such relative paths). */
  workspaceDir: string;
  env: NodeJS.ProcessEnv;
  /** Where log lines go; never handed a secret. */
  log: (message: string) => void;
  /** `calendar.tz`: the day a CRM timestamp falls on. Default UTC. */
  tz?: string;
  /** `baseCurrency`: the currency of a record that names none, and of exchange rates. Default USD. */
  baseCurrency?: string;
}

/**
 * What went wrong talking to a CRM, by kind; each kind's exit status and retry are in
 * src/domain/errors.ts. `permanent` errors fail a queued job at once (BullMQ's
 * UnrecoverableError); the others are retried with backoff.
 */
export type ConnectorErrorCode =
  /** Credentials refused or expired beyond refreshing: exit 3, permanent. */
  | 'AUTH_FAILED'
  /** The CRM could not be reached (DNS, refused, timeout after retries): exit 3, temporary. */
  | 'UNREACHABLE'
  /** A mapped field, object or pipeline does not exist, or no permission: exit 2, permanent. */
  | 'INVALID_CONFIG'
  /** The daily API allocation is used up: the cursor is kept, the next run resumes. */
  | 'RATE_LIMITED'
  /** A 5xx or timeout that outlived the retries: temporary. */
  | 'TEMPORARY'
  /** The CRM answered with something we cannot read: permanent. */
  | 'INVALID_DATA';

export class ConnectorError extends AttainError {
  override readonly name = 'ConnectorError';
  constructor(
    readonly code: ConnectorErrorCode,
    /** Says what failed and how to fix it; names the host, object or field, never a secret. */
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Fails a queued job at once (not retried). */
  get permanent(): boolean {
    return !this.retryable;
  }
}
