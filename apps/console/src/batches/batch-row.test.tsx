import type { BatchView, Notification } from '@batch/client';
import { act, render, screen } from '@testing-library/react';
import { Profiler } from 'react';
import { describe, expect, it } from 'vitest';
import { BatchRow } from './batch-row';
import { applyBatchNotification } from './live-batches';

const view = (batch_id: string): BatchView => ({
  batch_id,
  name: batch_id,
  status: 'running',
  total_items: 10,
  processed_count: 0,
  failed_count: 0,
  pending_count: 10,
  progress_percent: 0,
  config: { provider: 'template' },
  created_at: '2030-01-01T00:00:00.000Z',
  started_at: '2030-01-01T00:00:00.000Z',
  paused_at: null,
  pause_reason: null,
  completed_at: null,
  prompt_tokens: 0,
  completion_tokens: 0,
  cost_usd: 0,
  last_checkpoint_at: '2030-01-01T00:00:00.000Z',
});

const progress = (batch_id: string, processed: number): Notification => ({
  seq: processed,
  type: 'batch.progress',
  topic: `batch:${batch_id}`,
  at: '2030-01-01T00:00:05.000Z',
  payload: {
    batch_id,
    status: 'running',
    total_items: 10,
    processed_count: processed,
    failed_count: 0,
    pending_count: 10 - processed,
    progress_percent: processed * 10,
    items_per_second: 2,
    eta_seconds: 3,
  },
});

describe('a batch row', () => {
  it('moves its bar on its own notifications, and only that row renders again', () => {
    const renders: Record<string, number> = { one: 0, two: 0 };
    const count = (id: string) => () => void (renders[id] += 1);
    render(
      <table>
        <tbody>
          <Profiler id="one" onRender={count('one')}>
            <BatchRow view={view('row-one')} />
          </Profiler>
          <Profiler id="two" onRender={count('two')}>
            <BatchRow view={view('row-two')} />
          </Profiler>
        </tbody>
      </table>,
    );
    const before = { ...renders };
    act(() => applyBatchNotification(progress('row-one', 7)));
    expect(
      screen.getByRole('progressbar', { name: 'Progress of row-one' }).getAttribute('aria-valuenow'),
    ).toBe('70');
    expect(
      screen.getByRole('progressbar', { name: 'Progress of row-two' }).getAttribute('aria-valuenow'),
    ).toBe('0');
    expect(renders.one).toBe(before.one + 1);
    expect(renders.two).toBe(before.two);
  });
});
