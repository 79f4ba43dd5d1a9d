/**
 * The contract between a CRM connector and the pipeline. A connector turns raw API records into
 * canonical ones (src/domain/model.ts) and writes commission records back; it never touches the engine, and
 * reaches the database only through the `SyncStore` it is given.
 *
 * Data flows one way: connector → `SyncStore.storePage` (canonical rows, rejects and the cursor in
 * one transaction) → database → engine → payout lines → `WritebackTarget` → CRM.
 */
import type { Deal, FxRate, Reject, Rep, Split } from '../src/domain/model.js';

/** One page of a sync: stored whole or not at all, the cursor with it. */
export interface SyncPage {
  /** The CRM object the page came from (`Opportunity`, `deals`, `owners`): names its cursor and its rejects. */
  object: string;
  reps?: Rep[];
  /** Upserted by id; a deletion arrives as a deal with `deleted: true`. */
  deals?: Deal[];
  /** Every split of these deals: replaces what was stored for them (a deal listed with no split has none). */
  splits?: { dealIds: string[]; splits: Split[] };
  /** Upserted by currency and start date. */
  fxRates?: FxRate[];
  /**
   * Records of this page that could not be used. `source` names the CRM object
   * (`salesforce Opportunity`), `recordId` the CRM id. A record's earlier reject is cleared when a
   * later page holds it again, usable or not.
   */
  rejects?: Reject[];
  /**
   * Ids of deals read but filtered out (a stage or record type the workspace does not count): an
   * earlier stored version is marked deleted, so it stops counting (and is clawed back like a
   * deletion), and their earlier rejects clear.
   */
  seen?: string[];
  /** The object's cursor after this page, saved in the same transaction. Absent: unchanged. */
  cursor?: string;
}

/** Where a connector keeps what it pulled. Backed by the reporting database. */
export interface SyncStore {
  /** The cursor saved with the last stored page of `object`; undefined before the first sync. */
  cursor(object: string): Promise<string | undefined>;
  /** Stores one page in one transaction: a failure leaves the previous data and cursor. */
  storePage(page: SyncPage): Promise<void>;
  /** Forgets `object`'s cursor, so the next sync of it starts over (a full resync). */
  resetCursor(object: string): Promise<void>;
}

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
  /** Creates or updates by `key` (an external id): safe to repeat. One outcome per record, any order. */
  upsert(records: CommissionRecord[]): Promise<WritebackOutcome[]>;
  /** Deletes (or archives) records that no longer exist. `externalId` where known. */
  remove(records: { key: string; externalId?: string }[]): Promise<WritebackOutcome[]>;
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
  /** Releases sockets and timers. */
  close(): Promise<void>;
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
 * What went wrong talking to a CRM, by kind. `permanent` errors fail a queued job at
 * once (BullMQ's UnrecoverableError); the others are retried with backoff.
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

const EXIT_BY_CODE: Record<ConnectorErrorCode, 1 | 2 | 3> = {
  AUTH_FAILED: 3,
  UNREACHABLE: 3,
  INVALID_CONFIG: 2,
  RATE_LIMITED: 1,
  TEMPORARY: 1,
  INVALID_DATA: 1,
};

const PERMANENT: ReadonlySet<ConnectorErrorCode> = new Set(['AUTH_FAILED', 'INVALID_CONFIG', 'INVALID_DATA']);

export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    readonly code: ConnectorErrorCode,
    /** Says what failed and how to fix it; names the host, object or field, never a secret. */
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get exitCode(): 1 | 2 | 3 {
    return EXIT_BY_CODE[this.code];
  }

  get permanent(): boolean {
    return PERMANENT.has(this.code);
  }
}
