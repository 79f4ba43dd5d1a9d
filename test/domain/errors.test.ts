import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/errors.js';
import { CsvSourceError } from '../../connectors/csv/csv-file.js';
import { ConnectorError, type ConnectorErrorCode } from '../../connectors/source.js';
import { JobPayloadError } from '../../jobs/catalog.js';
import { CalculationInputError } from '../../jobs/prepare-calculation.js';
import { QueueNotConfiguredError, RedisPolicyError, RedisUnavailableError } from '../../jobs/queue-connection.js';
import { DiffError } from '../../jobs/plan-diff.js';
import { ReplayError } from '../../jobs/replay.js';
import { RunInputsMissingError, RunStepError } from '../../jobs/step-context.js';
import { StepResultError, parseStepResult, syncOutcomeSchema } from '../../jobs/step-results.js';
import { CliError, ExitCode } from '../../src/cli/exit-codes.js';
import {
  DatabaseConfigError,
  DatabaseUnavailableError,
  MigrationError,
  PeriodLockedError,
  RunEndedError,
  RunInProgressError,
} from '../../src/db/index.js';
import { AttainError, ERROR_BEHAVIOUR, behaviourOf } from '../../src/domain/errors.js';
import { isPermanent } from '../../src/worker/step-errors.js';

/** Each error class as the CLI's exit status and the worker's retry treat it. */
const cases: [string, Error, ExitCode, boolean][] = [
  ['ConfigError', new ConfigError([{ file: 'attain.yaml', path: '', message: 'bad' }]), 2, false],
  ['CsvSourceError unreadable', new CsvSourceError('x', 'FILE_UNREADABLE'), 2, false],
  ['CsvSourceError invalid', new CsvSourceError('x', 'FILE_INVALID'), 2, false],
  ['CalculationInputError', new CalculationInputError('x'), 2, false],
  ['CliError usage', new CliError('x', ExitCode.usage), 2, false],
  ['CliError failed', new CliError('x', ExitCode.failed), 1, false],
  ['CliError unavailable', new CliError('x', ExitCode.unavailable), 3, false],
  ['DatabaseConfigError', new DatabaseConfigError('x'), 2, false],
  ['DatabaseUnavailableError', new DatabaseUnavailableError('x'), 3, true],
  ['RunInProgressError', new RunInProgressError('x'), 1, false],
  ['RunEndedError', new RunEndedError('x'), 1, false],
  ['MigrationError', new MigrationError('m', 'x'), 1, true],
  ['PeriodLockedError', new PeriodLockedError([], 'x'), 1, false],
  ['ReplayError', new ReplayError('run', 'x'), 2, false],
  ['DiffError', new DiffError('x'), 2, false],
  ['RunStepError', new RunStepError('x'), 1, false],
  ['RunInputsMissingError', new RunInputsMissingError('x'), 1, false],
  ['JobPayloadError', new JobPayloadError('x'), 1, false],
  ['RedisUnavailableError', new RedisUnavailableError('x'), 3, true],
  ['RedisPolicyError', new RedisPolicyError('x'), 3, true],
  ['QueueNotConfiguredError', new QueueNotConfiguredError('x'), 2, false],
  ['StepResultError', new StepResultError('x'), 1, false],
];
const connector: [ConnectorErrorCode, ExitCode, boolean][] = [
  ['AUTH_FAILED', 3, false],
  ['UNREACHABLE', 3, true],
  ['INVALID_CONFIG', 2, false],
  ['RATE_LIMITED', 1, true],
  ['TEMPORARY', 1, true],
  ['INVALID_DATA', 1, false],
];

describe('one error taxonomy', () => {
  it.each(cases)('%s: its exit status and whether a queued step retries it', (_name, error, exit, retry) => {
    expect(error).toBeInstanceOf(AttainError);
    expect((error as AttainError).exitCode).toBe(exit);
    expect(isPermanent(error)).toBe(!retry);
    expect(behaviourOf(error)).toEqual({ exit, retry, expected: true });
  });

  it.each(connector)('ConnectorError %s', (code, exit, retry) => {
    const error = new ConnectorError(code, 'x');
    expect(error.exitCode).toBe(exit);
    expect(error.permanent).toBe(!retry);
    expect(isPermanent(error)).toBe(!retry);
  });

  it('an error that is not an AttainError is unexpected: exit 1, retried', () => {
    expect(behaviourOf(new TypeError('boom'))).toEqual({ exit: 1, retry: true, expected: false });
    expect(isPermanent(new Error('socket hang up'))).toBe(false);
  });

  it('every code has an exit status among the CLI statuses', () => {
    for (const { exit } of Object.values(ERROR_BEHAVIOUR)) expect([1, 2, 3]).toContain(exit);
  });

  it('a step outcome read back from the queue is parsed: a bad one is named, not read as something else', () => {
    const good = { reps: 2, deals: 3, plans: ['ae'], sourceRejects: 0 };
    expect(parseStepResult(syncOutcomeSchema, 'run-1-sync', good)).toEqual(good);
    expect(parseStepResult(syncOutcomeSchema, 'run-1-sync', undefined)).toBeUndefined();
    expect(() => parseStepResult(syncOutcomeSchema, 'run-1-sync', { ...good, deals: '3' })).toThrow(
      /run-1-sync: invalid outcome: deals: /,
    );
  });
});
