/**
 * Which failures are permanent: retrying a bad plan, refused credentials or a malformed payload
 * only fails again later, so those fail the job at once (BullMQ's UnrecoverableError); anything
 * else (a dropped connection, a CRM 5xx) is retried with backoff. Which is which is the error
 * code's behaviour (src/domain/errors.ts).
 */
import { behaviourOf } from '../domain/errors.js';

export function isPermanent(error: unknown): boolean {
  return !behaviourOf(error).retry;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
