import { ApiError, type Notification } from '@batch/client';
import { act, fireEvent, render, screen } from '@testing-library/react';
import { Toaster } from 'sonner';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reportError } from '../api/report-error';
import { toastOfNotification } from '../notifications/notification-toasts';
import { RetryCountdown } from './toast-card';
import { formatCountdown, TOAST_DURATION_MS } from './toast-kinds';
import { resetToasts, setToastClock, showToast } from './toasts';

const noActions = { viewDetails: vi.fn(), retryBatch: vi.fn() };

describe('toast durations', () => {
  it('keeps success and info 4 s, warnings and temporary errors 5 s, permanent and action-required until dismissed', () => {
    expect(TOAST_DURATION_MS).toEqual({
      success: 4000,
      info: 4000,
      warning: 5000,
      temporary: 5000,
      permanent: Number.POSITIVE_INFINITY,
      action: Number.POSITIVE_INFINITY,
    });
  });
});

describe('formatCountdown', () => {
  it.each([
    [0, '0s'],
    [1, '1s'],
    [45, '45s'],
    [59, '59s'],
    [60, '1m 0s'],
    [65, '1m 5s'],
    [125.2, '2m 6s'],
    [-3, '0s'],
  ])('%s seconds read %s', (seconds, text) => expect(formatCountdown(seconds)).toBe(text));
});

describe('the rate-limit countdown', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  /** A second at a time: each tick schedules the next once React has rendered. */
  const seconds = (count: number) => {
    for (let second = 0; second < count; second++) act(() => vi.advanceTimersByTime(1000));
  };

  it('counts down each second, then offers Retry Now, which retries', () => {
    const onRetry = vi.fn();
    render(<RetryCountdown deadline={Date.now() + 62_000} onRetry={onRetry} />);
    expect(screen.getByText('Retry available in 1m 2s')).toBeTruthy();
    seconds(1);
    expect(screen.getByText('Retry available in 1m 1s')).toBeTruthy();
    seconds(2);
    expect(screen.getByText('Retry available in 59s')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Retry Now' })).toBeNull();
    seconds(58);
    expect(screen.getByText('Retry available in 1s')).toBeTruthy();
    seconds(1);
    expect(screen.queryByText(/Retry available/)).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Retry Now' }));
    expect(onRetry).toHaveBeenCalledTimes(1);
  });
});

describe('toasts on the page', () => {
  let now = 0;
  beforeEach(() => {
    now = 1_000_000;
    setToastClock(() => now);
    render(<Toaster expand visibleToasts={10} />);
  });
  afterEach(() => {
    act(() => resetToasts());
    setToastClock(() => Date.now());
  });

  const toasts = () => screen.queryAllByTestId('toast');

  it('shows one toast for a repeat within 5 s, with its count', async () => {
    act(() => void showToast({ kind: 'permanent', title: 'Pause failed', message: 'conflict' }));
    now += 2000;
    act(() => void showToast({ kind: 'permanent', title: 'Pause failed', message: 'conflict' }));
    now += 2000;
    act(() => void showToast({ kind: 'permanent', title: 'Pause failed', message: 'conflict' }));
    await screen.findByText('Pause failed');
    expect(toasts()).toHaveLength(1);
    expect(screen.getByLabelText('repeated 3 times').textContent).toBe('×3');
  });

  it('shows different messages as different toasts, stacked', async () => {
    act(() => void showToast({ kind: 'info', title: 'One' }));
    act(() => void showToast({ kind: 'info', title: 'Two' }));
    await screen.findByText('Two');
    expect(toasts()).toHaveLength(2);
  });

  it('adds the repeat count a server message carries to the toast of its dedupKey', async () => {
    const error = (repeatCount: number): Notification => ({
      seq: 10 + repeatCount,
      type: 'error',
      topic: 'batch:b1',
      at: '2030-01-01T00:00:00.000Z',
      payload: {
        errorId: 'err-000000000000000000000001',
        code: 'ERR_GEN_REPLY_FORMAT',
        category: 'permanent',
        severity: 'error',
        userMessage: 'the model did not answer with the JSON conversation asked for',
        retryable: false,
        dedupKey: 'ERR_GEN_REPLY_FORMAT:batch:b1',
        repeatCount,
        batchId: 'b1',
        itemId: 'i1',
        occurredAt: '2030-01-01T00:00:00.000Z',
      },
    });
    act(() => void showToast(toastOfNotification(error(0), noActions)!));
    now += 5000;
    act(() => void showToast(toastOfNotification(error(4), noActions)!));
    await screen.findByText('Generation Failed');
    expect(toasts()).toHaveLength(1);
    expect(screen.getByText('Error Code: ERR_GEN_REPLY_FORMAT')).toBeTruthy();
    expect(screen.getByLabelText('repeated 5 times')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'View Details' }));
    expect(noActions.viewDetails).toHaveBeenCalledWith('err-000000000000000000000001');
  });

  it('lists the failing fields of a 422', async () => {
    act(() =>
      reportError(
        new ApiError(422, 'validation', 'invalid body: items.0.topic: Required', [
          { field: 'items.0.topic', message: 'Required' },
          { field: 'config.rateLimit.concurrency', message: 'Too big: expected number to be <=256' },
        ]),
        { title: 'Create failed' },
      ),
    );
    await screen.findByText('Validation Error');
    const fields = screen.getByRole('list', { name: 'Fields with errors' });
    expect(fields.textContent).toContain('items.0.topic: Required');
    expect(fields.textContent).toContain('config.rateLimit.concurrency');
  });

  it('says Network Error when the gateway cannot be reached, and its Retry repeats the request', async () => {
    const retry = vi.fn();
    act(() => reportError(new ApiError(0, 'unavailable', 'cannot reach http://localhost:3000'), { retry }));
    await screen.findByText('Network Error');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('turns a 429 into the countdown toast', async () => {
    act(() =>
      reportError(new ApiError(429, 'rate_limited', 'too many requests', { retryAfterSeconds: 30 }), {
        retry: vi.fn(),
      }),
    );
    await screen.findByText('Rate Limit Exceeded');
    expect(screen.getByText('Retry available in 30s')).toBeTruthy();
    expect(toasts()[0].dataset.kind).toBe('action');
    expect(toasts()[0].getAttribute('role')).toBe('alert');
  });
});

describe('toasts from notifications', () => {
  const status = (
    status: string,
    processed: number,
    failed: number,
    reason: string | null = null,
  ): Notification => ({
    seq: 1,
    type: 'batch.status',
    topic: 'batch:b1',
    at: '2030-01-01T00:00:00.000Z',
    payload: {
      batch_id: 'b1',
      status,
      previous_status: 'running',
      reason,
      total_items: processed + failed,
      processed_count: processed,
      failed_count: failed,
      pending_count: 0,
      progress_percent: 100,
    },
  });

  it('tells a completed batch with its counts', () => {
    expect(toastOfNotification(status('completed', 8, 2), noActions)).toMatchObject({
      kind: 'success',
      title: 'Batch completed: 8 succeeded, 2 failed',
    });
  });

  it('tells a pause the platform decided, not one the user asked for', () => {
    expect(
      toastOfNotification(status('paused', 1, 0, 'budget_exhausted: spent $1 of $1'), noActions),
    ).toMatchObject({
      kind: 'warning',
    });
    expect(toastOfNotification(status('paused', 1, 0, 'paused by user'), noActions)).toBeNull();
  });

  it('makes a rate limit an action-required countdown whose Retry Now goes on with the batch', () => {
    const spec = toastOfNotification(
      {
        seq: 3,
        type: 'error',
        topic: 'batch:b1',
        at: '2030-01-01T00:00:00.000Z',
        payload: {
          errorId: 'err-000000000000000000000002',
          code: 'ERR_API_RATE_LIMIT',
          category: 'action_required',
          severity: 'warning',
          userMessage: 'the provider is rate limiting requests',
          retryable: true,
          retryAfterSeconds: 20,
          dedupKey: 'ERR_API_RATE_LIMIT:batch:b1',
          repeatCount: 0,
          batchId: 'b1',
          occurredAt: '2030-01-01T00:00:00.000Z',
        },
      },
      noActions,
    );
    expect(spec).toMatchObject({ kind: 'action', title: 'Rate Limit Exceeded', retryAfterSeconds: 20 });
    spec?.onRetry?.();
    expect(noActions.retryBatch).toHaveBeenCalledWith('b1');
  });
});
