import { describe, expect, it } from 'vitest';
import { didYouMean } from '../../config/did-you-mean.js';
import { ConfigError, formatIssue, formatPath } from '../../config/errors.js';

describe('formatPath', () => {
  it('writes a path as a JavaScript accessor', () => {
    expect(formatPath(['components', 0, 'tiers', 1, 'rate'])).toBe('components[0].tiers[1].rate');
    expect(formatPath(['measures', 'new bookings', 'credit'])).toBe('measures["new bookings"].credit');
    expect(formatPath([])).toBe('');
  });
});

describe('ConfigError', () => {
  it('lists every issue, one per line, whole-file issues without a position', () => {
    const error = new ConfigError([
      { file: 'plans/ae.yaml', line: 14, column: 7, path: 'components[0].tiers[1].rate', message: 'expected a number' },
      { file: 'plans/', path: '', message: 'no plans' },
      { file: 'attain.yaml', line: 3, column: 1, path: '', message: 'Map keys must be unique' },
    ]);
    expect(error.name).toBe('ConfigError');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe(
      [
        'plans/ae.yaml:14:7 components[0].tiers[1].rate: expected a number',
        'plans/: no plans',
        'attain.yaml:3:1: Map keys must be unique',
      ].join('\n'),
    );
    expect(formatIssue({ file: 'plans/ae.yaml', path: 'id', message: 'required' })).toBe('plans/ae.yaml id: required');
  });
});

describe('didYouMean', () => {
  it('suggests a near name, a swap of two letters included, and nothing for a far one', () => {
    expect(didYouMean('tierz', ['tiers', 'gate', 'cap'])).toBe('tiers');
    expect(didYouMean('cpa', ['tiers', 'gate', 'cap'])).toBe('cap');
    expect(didYouMean('Rate', ['rate'])).toBe('rate');
    expect(didYouMean('xy', ['id', 'kind'])).toBeUndefined();
    expect(didYouMean('commission', ['bookings'])).toBeUndefined();
  });
});
