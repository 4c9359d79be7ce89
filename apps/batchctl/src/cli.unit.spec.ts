import { describe, expect, it } from '@jest/globals';
import { ApiError } from '@batch/client';
import { parse, BatchConfig } from '@batch/contracts';
import { reportOf } from './cli.js';
import { UsageError } from './command-line.js';
import { ItemsFileError } from './items-file.js';

describe('what a failure prints', () => {
  it('shows an API error as its code and message, never a stack', () => {
    const report = reportOf(
      new ApiError(409, 'conflict', 'cannot pause a completed batch', { reason: 'invalid_state' }),
    );
    expect(report).toBe('error: conflict: cannot pause a completed batch\n');
  });

  it('lists the fields of a validation error', () => {
    const details = [
      { field: 'items[3].topic', message: 'Required' },
      { field: 'config.temperature', message: 'Too big' },
    ];
    expect(reportOf(new ApiError(422, 'validation', 'invalid batch', details))).toBe(
      'error: validation: invalid batch\n  items[3].topic: Required\n  config.temperature: Too big\n',
    );
  });

  it('shows a gateway that cannot be reached as unavailable', () => {
    expect(
      reportOf(
        new ApiError(0, 'unavailable', 'cannot reach http://localhost:3000: fetch failed (ECONNREFUSED)'),
      ),
    ).toBe('error: unavailable: cannot reach http://localhost:3000: fetch failed (ECONNREFUSED)\n');
  });

  it('lists the fields of a config refused before anything is sent', () => {
    const refusal = (() => {
      try {
        return parse(BatchConfig, { provider: 'nope', temperature: 9 }, 'config');
      } catch (error) {
        return error;
      }
    })();
    expect(reportOf(refusal)).toMatch(
      /^error: validation: invalid config\n {2}provider: .+\n {2}temperature: Too big/,
    );
  });

  it('shows a bad line of an items file with its line number', () => {
    expect(reportOf(new ItemsFileError('items.jsonl', 12, 'topic: Required'))).toBe(
      'error: items.jsonl:12: topic: Required\n',
    );
  });

  it('shows a usage error with the usage', () => {
    expect(reportOf(new UsageError('missing batchId', 'status <batchId> [--json]'))).toBe(
      'error: missing batchId\nusage: batchctl status <batchId> [--json]\n',
    );
  });
});
