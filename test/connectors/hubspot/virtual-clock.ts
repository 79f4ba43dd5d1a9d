/** A clock whose sleeps return at once and move time on: rate-limit waits without waiting. */
import type { Clock } from '../../../connectors/hubspot/rate-limiter.js';

export class VirtualClock implements Clock {
  time = 0;
  slept: number[] = [];
  now(): number {
    return this.time;
  }
  sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.time += ms;
    return Promise.resolve();
  }
}
