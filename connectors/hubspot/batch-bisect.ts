/**
 * Sending a batch call again in halves when HubSpot refuses it whole, so one bad input costs only
 * itself: the convention of every batch write the HubSpot connector makes.
 */
import { HubspotResponseError } from './hubspot-api.js';

/**
 * HubSpot refuses a whole batch call with 400 when one input is bad (an invalid number, an owner id
 * the portal does not have, such as a rep who left): nothing of it is written. The batch is then
 * sent again in halves, recursively, down to single records, so only the bad ones fail (with
 * HubSpot's message, kept in `writeback_state` and retried next run) and the rest are written. One
 * bad record in 100 costs about 14 extra calls (two per level, 7 levels); a batch whose records are
 * all bad costs 199 (a departed rep's lines can fill one).
 *
 * Bisecting is never switched off for a call: a batch refused whole says nothing about the next
 * one. The 400s that would refuse every record (a property missing or of the wrong type, a key
 * that is not unique) are caught before the first write, by `openCommissionTarget`'s schema check.
 * The deal associations (commission-associations.ts) are bisected the same way.
 * Other 4xx (404: the object is gone) fail the batch whole; 5xx and rate limits were retried by
 * `HubspotApi` and propagate.
 */
export async function bisect<T extends { key: string }, O>(
  batch: T[],
  call: (batch: T[]) => Promise<O[]>,
  refused: (record: T, error: string) => O,
): Promise<O[]> {
  try {
    return await call(batch);
  } catch (error) {
    if (!(error instanceof HubspotResponseError) || error.status >= 500) throw error;
    if (error.status !== 400 || batch.length === 1) return batch.map((r) => refused(r, error.message));
    const middle = Math.ceil(batch.length / 2);
    const first = await bisect(batch.slice(0, middle), call, refused);
    return [...first, ...(await bisect(batch.slice(middle), call, refused))];
  }
}
