/**
 * Progress of long work (records read, plans calculated, lines written), as the reading layer, the
 * engine and the store report it. Nothing shows for a task that ends within a couple of seconds.
 * On a terminal, one line redrawn in place and cleared when the work moves on; off a terminal, a
 * JSON log line (pino) every few seconds, so that a log shows a long run is alive.
 */
import type { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { OnProgress, ProgressUpdate } from '../domain/progress.js';

export interface ProgressMeter {
  update: OnProgress;
  /** Clears a progress line from the terminal (before the next output line); a no-op for logs. */
  clear(): void;
}

export interface ProgressMeterOptions {
  /** Seconds a task runs before its progress shows (default 2). */
  after?: number;
  /** Seconds between two reports (default: 0.25 on a terminal, 5 in a log). */
  every?: number;
  /** Milliseconds from any fixed point (default: performance.now); tests pass their own clock. */
  now?: () => number;
}

const DEFAULT_AFTER = 2;

/** One line on a terminal, redrawn with `\r`. */
export function terminalMeter(out: Writable, options: ProgressMeterOptions = {}): ProgressMeter {
  let visible = false;
  const clear = () => {
    if (visible) out.write('\r\x1b[2K');
    visible = false;
  };
  const update = throttled(options, 0.25, (update, rate) => {
    out.write(`\r\x1b[2K  ${describeProgress(update, rate)}`);
    visible = true;
  });
  return { update, clear };
}

/** A pino line (`progress` fields and a readable message) every few seconds. */
export function logMeter(logger: Logger, options: ProgressMeterOptions = {}): ProgressMeter {
  const update = throttled(options, 5, (update, rate) =>
    logger.info({ progress: { ...update, perSecond: Math.round(rate) } }, describeProgress(update, rate)),
  );
  return { update, clear: () => undefined };
}

/**
 * The meter for a command whose results go to stdout (`attain calc`): progress goes to `err`, a
 * terminal line when it is one, JSON log lines otherwise, so that stdout stays the results alone.
 */
export function stderrMeter(err: Writable, command: string): ProgressMeter {
  if ((err as Partial<NodeJS.WriteStream>).isTTY === true) return terminalMeter(err);
  const logger = pino({ base: { app: 'attain', command }, timestamp: pino.stdTimeFunctions.isoTime }, err);
  return logMeter(logger);
}

/** `reading deals.csv: 412,000 records (180,000/s)`, `calculating 1,000,000 deals: 2 of 3 plans`. */
export function describeProgress(update: ProgressUpdate, perSecond: number): string {
  const count = (n: number) => n.toLocaleString('en');
  if (update.total !== undefined)
    return `${update.task}: ${count(update.done)} of ${count(update.total)} ${update.unit}`;
  return `${update.task}: ${count(update.done)} ${update.unit} (${count(Math.round(perSecond))}/s)`;
}

/** Calls `show` for a task that has run `after` seconds, at most once every `every` seconds. */
function throttled(
  options: ProgressMeterOptions,
  defaultEvery: number,
  show: (update: ProgressUpdate, perSecond: number) => void,
): OnProgress {
  const now = options.now ?? (() => performance.now());
  const after = (options.after ?? DEFAULT_AFTER) * 1000;
  const every = (options.every ?? defaultEvery) * 1000;
  let task: string | undefined;
  let started = 0;
  let doneAtStart = 0;
  let shown = -Infinity;
  return (update) => {
    const t = now();
    if (update.task !== task) {
      task = update.task;
      started = t;
      doneAtStart = update.done;
      shown = -Infinity;
    }
    const elapsed = t - started;
    if (elapsed < after || t - shown < every) return;
    shown = t;
    show(update, (update.done - doneAtStart) / (elapsed / 1000));
  };
}
