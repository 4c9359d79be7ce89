import { Writable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { createLogger } from './logger.js';
import { REDACTED } from './redact.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes JSON lines that name the service', () => {
    const { lines, destination } = capture();
    createLogger('batch-orchestrator', 'info', destination).info(
      { batchId: 'b1', itemId: 'i1' },
      'dispatching',
    );
    expect(lines[0]).toMatchObject({
      service: 'batch-orchestrator',
      batchId: 'b1',
      itemId: 'i1',
      msg: 'dispatching',
    });
  });

  it('passes every record through the redaction: keys, bearer tokens and connection strings', () => {
    const { lines, destination } = capture();
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU';
    createLogger('notification-gateway', 'info', destination).warn(
      {
        config: { credential: 'OPENAI_API_KEY_TEAM_B', apiKey: 'sk-proj-abcdefghijklmnopqrstuv' },
        headers: { authorization: `Bearer ${jwt}` },
        err: new Error('connect postgres://app:hunter2secret@db:5432/app failed'),
      },
      `request with ${jwt}`,
    );
    const text = JSON.stringify(lines[0]);
    for (const secret of [jwt, 'sk-proj-abcdefghijklmnopqrstuv', 'hunter2secret'])
      expect(text).not.toContain(secret);
    expect(lines[0]).toMatchObject({
      config: { credential: 'OPENAI_API_KEY_TEAM_B', apiKey: REDACTED },
      err: { type: 'Error', message: `connect postgres://app:${REDACTED}@db:5432/app failed` },
    });
  });

  it('carries no trace fields outside a trace', () => {
    const { lines, destination } = capture();
    createLogger('generation-worker', 'info', destination).info('idle');
    expect(lines[0]).not.toHaveProperty('trace_id');
  });
});
