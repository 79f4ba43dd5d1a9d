/**
 * The real SyncStore (PGlite, src/db/sync-store.ts) with every stored page recorded, so that a
 * connector test can look at what the connector handed over and at what the database kept.
 */
import { TestBackend } from '../db/backends.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createSyncStore } from '../../src/db/sync-store.js';
import type { SyncPage, SyncStore } from '../../connectors/source.js';

export class RecordingStore implements SyncStore {
  readonly pages: SyncPage[] = [];

  constructor(private readonly store: SyncStore) {}

  cursor(object: string): Promise<string | undefined> {
    return this.store.cursor(object);
  }

  async storePage(page: SyncPage): Promise<void> {
    await this.store.storePage(page);
    this.pages.push(page);
  }

  resetCursor(object: string): Promise<void> {
    return this.store.resetCursor(object);
  }

  /** Every deal stored, the latest version of each. */
  deals(): Map<string, NonNullable<SyncPage['deals']>[number]> {
    return new Map(this.pages.flatMap((p) => p.deals ?? []).map((d) => [d.id, d]));
  }
}

/** One PGlite database for a test file: `open` in beforeAll, `fresh` in beforeEach, `dispose` in afterAll. */
export class SyncDatabase {
  private readonly backend = new TestBackend('pglite');

  async open(): Promise<void> {
    await this.backend.open();
    await migrateToLatest(this.backend.db);
  }

  /** An empty database and a recording store over it for `source`. */
  async fresh(source: string): Promise<RecordingStore> {
    await this.backend.truncateAll();
    return new RecordingStore(createSyncStore(this.backend.db, source));
  }

  get db() {
    return this.backend.db;
  }

  dispose(): Promise<void> {
    return this.backend.dispose();
  }
}
