/**
 * What a CRM sync hands to storage: pages of canonical records with the cursor they bring the
 * object to. Connectors produce them; the reporting database (src/db/sync-store.ts) stores them.
 */
import type { Account, Deal, FxRate, Reject, Rep, Split } from './model.js';

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
  /** Upserted by id; a deletion arrives as an account with `deleted: true`. */
  accounts?: Account[];
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

/** PostgreSQL text cannot hold U+0000: the name of the first field of `record` that does, if any. */
function fieldWithNul(record: object): string | undefined {
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string' && value.includes('\u0000')) return key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const inner = fieldWithNul(value);
      if (inner !== undefined) return `${key}.${inner}`;
    }
  }
  return undefined;
}

/**
 * The page without the reps and deals whose text PostgreSQL cannot store (a NUL character, which
 * a CRM's text fields can carry): each becomes a reject naming the CRM object, its id and the
 * field, so one bad record never fails the page (and with it every night's sync). A rejected
 * deal's splits go with it.
 */
export function rejectUnstorableText(page: SyncPage, source: string): SyncPage {
  const rejects: Reject[] = [];
  const reject = (id: string, reason: string) =>
    rejects.push({ source: `${source} ${page.object}`, recordId: id.replaceAll('\u0000', '\uFFFD'), reason });
  const splitField = new Map<string, string>();
  for (const split of page.splits?.splits ?? []) {
    const field = fieldWithNul(split);
    if (field !== undefined && !splitField.has(split.dealId)) splitField.set(split.dealId, `a split's ${field}`);
  }
  const keep = <T extends { id: string }>(records: T[] | undefined): T[] | undefined =>
    records?.filter((record) => {
      const field = fieldWithNul(record) ?? splitField.get(record.id);
      if (field === undefined) return true;
      reject(record.id, `${field} holds a NUL character (U+0000), which cannot be stored`);
      return false;
    });
  const reps = keep(page.reps);
  const deals = keep(page.deals);
  const accounts = keep(page.accounts);
  if (rejects.length === 0) return page;
  const dropped = new Set(rejects.map((r) => r.recordId));
  return {
    ...page,
    ...(reps ? { reps } : {}),
    ...(deals ? { deals } : {}),
    ...(accounts ? { accounts } : {}),
    ...(page.splits
      ? { splits: { dealIds: page.splits.dealIds, splits: page.splits.splits.filter((s) => !dropped.has(s.dealId)) } }
      : {}),
    rejects: [...(page.rejects ?? []), ...rejects],
  };
}
