/** A SyncStore in memory that records every page, for tests of the pull alone. */
import type { SyncPage, SyncStore } from '../../../connectors/source.js';

export class MemoryStore implements SyncStore {
  readonly pages: SyncPage[] = [];
  readonly cursors = new Map<string, string>();

  cursor(object: string): Promise<string | undefined> {
    return Promise.resolve(this.cursors.get(object));
  }

  storePage(page: SyncPage): Promise<void> {
    this.pages.push(page);
    if (page.cursor !== undefined) this.cursors.set(page.object, page.cursor);
    return Promise.resolve();
  }

  resetCursor(object: string): Promise<void> {
    this.cursors.delete(object);
    return Promise.resolve();
  }

  /** Every deal stored, the latest version of each. */
  deals(): Map<string, NonNullable<SyncPage['deals']>[number]> {
    return new Map(this.pages.flatMap((p) => p.deals ?? []).map((d) => [d.id, d]));
  }
}
