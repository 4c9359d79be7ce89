import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ErrorDetails } from './error-details';
import { COPIED_FOR_MS, ErrorDetailsModal } from './error-details-modal';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlc2lnbmF0dXJl';

const rateLimit: ErrorDetails = {
  errorId: 'err-0123456789abcdef01234567',
  code: 'ERR_API_RATE_LIMIT',
  name: 'Rate limit',
  category: 'action_required',
  severity: 'warning',
  isRecoverable: true,
  retryAfterSeconds: 30,
  userMessage: 'the provider is rate limiting requests',
  technicalMessage: '429 Too Many Requests from https://api.example.com/v1/chat/completions',
  context: { batchId: 'batch-1', itemId: 'item-7', provider: 'openai', model: 'gpt-4o-mini', attempt: 2 },
  response: { status: 429, headers: { 'retry-after': '30' } },
  stack: [
    'RateLimitError: 429 Too Many Requests',
    '    at callProvider (generation-worker/src/providers/openai.provider.ts:88:11)',
    `    at send (token ${JWT} leaked here)`,
    '    at generate (generation-worker/src/generate.ts:41:5)',
  ].join('\n'),
  occurrences: 3,
  occurredAt: '2030-01-02T03:04:05.000Z',
};

const permanent: ErrorDetails = {
  ...rateLimit,
  code: 'ERR_GEN_REPLY_FORMAT',
  name: 'Reply format',
  category: 'permanent',
  isRecoverable: false,
  retryAfterSeconds: undefined,
};

function Harness({
  details,
  reportEmail,
  initiallyOpen = true,
}: {
  details: ErrorDetails;
  reportEmail?: string;
  initiallyOpen?: boolean;
}) {
  const [open, setOpen] = useState(initiallyOpen);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        View details
      </button>
      <ErrorDetailsModal open={open} onOpenChange={setOpen} details={details} reportEmail={reportEmail} />
    </>
  );
}

/** Radix tabs switch on mouse down (a click in a browser). */
const openTab = (name: string) => fireEvent.mouseDown(screen.getByRole('tab', { name }), { button: 0 });

describe('the error details modal', () => {
  it('is a dialog titled Error Details, summary first', () => {
    render(<Harness details={rateLimit} />);
    const dialog = screen.getByRole('dialog', { name: 'Error Details' });
    expect(within(dialog).getByRole('tab', { name: 'Summary' }).getAttribute('aria-selected')).toBe('true');
    expect(within(dialog).getByText('Yes - Can Retry')).toBeTruthy();
    expect(within(dialog).getByText('What You Can Do')).toBeTruthy();
    expect(within(dialog).getByText('batch-1')).toBeTruthy();
    expect(within(dialog).getByText('item-7')).toBeTruthy();
    expect(within(dialog).getByText('err-0123456789abcdef01234567')).toBeTruthy();
  });

  it('says a permanent error cannot be retried', () => {
    render(<Harness details={permanent} />);
    expect(screen.getByText('No - Permanent Error')).toBeTruthy();
  });

  it('shows the technical details, sanitized, in the Technical tab', () => {
    render(<Harness details={rateLimit} />);
    openTab('Technical');
    const panel = screen.getByRole('tabpanel');
    expect(within(panel).getByRole('region', { name: 'Stack Trace' }).textContent).toContain('callProvider');
    expect(within(panel).getByRole('region', { name: 'Response' }).textContent).toContain('retry-after');
    expect(panel.textContent).not.toContain(JWT);
    expect(panel.textContent).toContain('[REDACTED_JWT]');
  });

  it('searches the technical text: only matching lines stay, the match marked', () => {
    render(<Harness details={rateLimit} />);
    openTab('Technical');
    fireEvent.change(screen.getByLabelText('Search technical details'), {
      target: { value: 'GENERATION-WORKER' },
    });
    const stack = screen.getByRole('region', { name: 'Stack Trace' });
    expect(stack.textContent).toContain('openai.provider.ts');
    expect(stack.textContent).toContain('generate.ts');
    expect(stack.textContent).not.toContain('RateLimitError');
    expect(stack.querySelectorAll('mark')).toHaveLength(2);
    expect(screen.getByText('2 matching lines')).toBeTruthy();
    expect(screen.queryByRole('region', { name: 'Error Name' })).toBeNull();
  });

  describe('copy', () => {
    let writeText: ReturnType<typeof vi.fn>;
    beforeEach(() => {
      vi.useFakeTimers({ shouldAdvanceTime: true });
      writeText = vi.fn().mockResolvedValue(undefined);
      Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    });
    afterEach(() => vi.useRealTimers());

    it('copies {errorId, message, name, code, stack, timestamp} and says Copied for 2 s', async () => {
      render(<Harness details={rateLimit} />);
      await act(async () => fireEvent.click(screen.getByRole('button', { name: 'Copy' })));
      expect(screen.getByRole('button', { name: 'Copied' })).toBeTruthy();
      const copied = JSON.parse(writeText.mock.calls[0][0] as string) as Record<string, unknown>;
      expect(Object.keys(copied)).toEqual(['errorId', 'message', 'name', 'code', 'stack', 'timestamp']);
      expect(copied).toMatchObject({
        errorId: rateLimit.errorId,
        message: rateLimit.technicalMessage,
        name: 'Rate limit',
        code: 'ERR_API_RATE_LIMIT',
        timestamp: rateLimit.occurredAt,
      });
      expect(String(copied.stack)).not.toContain(JWT);
      act(() => vi.advanceTimersByTime(COPIED_FOR_MS - 100));
      expect(screen.getByRole('button', { name: 'Copied' })).toBeTruthy();
      act(() => vi.advanceTimersByTime(200));
      expect(screen.getByRole('button', { name: 'Copy' })).toBeTruthy();
    });
  });

  it('reports by mail with the subject "Error Report: {name}" when an address is set', () => {
    render(<Harness details={rateLimit} reportEmail="support@example.com" />);
    const link = screen.getByRole('link', { name: 'Report issue' });
    const href = link.getAttribute('href') ?? '';
    expect(href.startsWith('mailto:support@example.com?subject=')).toBe(true);
    expect(decodeURIComponent(href.split('subject=')[1].split('&')[0])).toBe('Error Report: Rate limit');
    expect(decodeURIComponent(href)).toContain('err-0123456789abcdef01234567');
  });

  it('shows a copyable report without an address', () => {
    render(<Harness details={rateLimit} />);
    fireEvent.click(screen.getByRole('button', { name: 'Report issue' }));
    const report = screen.getByLabelText(/Issue report/) as HTMLTextAreaElement;
    expect(report.value.startsWith('Error Report: Rate limit')).toBe(true);
    expect(report.value).not.toContain(JWT);
  });

  it('closes on Escape and gives the focus back to what opened it', async () => {
    render(<Harness details={rateLimit} initiallyOpen={false} />);
    const opener = screen.getByRole('button', { name: 'View details' });
    opener.focus();
    fireEvent.click(opener);
    const dialog = await screen.findByRole('dialog');
    await vi.waitFor(() => expect(dialog.contains(document.activeElement)).toBe(true));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    await vi.waitFor(() => expect(document.activeElement).toBe(opener));
  });
});
