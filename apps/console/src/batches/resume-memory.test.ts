import type { BatchStatus } from '@batch/client';
import { beforeEach, describe, expect, it } from 'vitest';
import { batchesToOffer, rememberClosed, rememberHandled } from './resume-memory';

const batch = (batch_id: string, status: BatchStatus, paused_at: string | null = null) => ({
  batch_id,
  status,
  paused_at,
});

describe('what the resume dialog offers', () => {
  beforeEach(() => {
    localStorage.clear();
    sessionStorage.clear();
  });

  it('offers every incomplete batch at first', () => {
    const batches = [batch('a', 'paused', 't1'), batch('b', 'pending'), batch('c', 'running')];
    expect(batchesToOffer(batches)).toEqual(batches);
  });

  it('does not come back for a batch resumed or discarded from it, unless it is paused again', () => {
    rememberHandled(batch('a', 'paused', 't1'));
    expect(batchesToOffer([batch('a', 'running', 't1')])).toEqual([]);
    expect(batchesToOffer([batch('a', 'paused', 't1')])).toEqual([]);
    expect(batchesToOffer([batch('a', 'paused', 't2')])).toEqual([batch('a', 'paused', 't2')]);
  });

  it('after a close, offers only what changed since (this tab)', () => {
    rememberClosed([batch('a', 'running'), batch('b', 'paused', 't1')]);
    expect(batchesToOffer([batch('a', 'running'), batch('b', 'paused', 't1')])).toEqual([]);
    expect(batchesToOffer([batch('a', 'paused', 't3')])).toEqual([batch('a', 'paused', 't3')]);
  });
});
