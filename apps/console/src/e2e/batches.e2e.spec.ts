import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BatchView } from '@batch/contracts';
import type { Page } from 'playwright-core';
import {
  expectAccessible,
  isSameDocument,
  jsonlFile,
  markDocument,
  screenshot,
  startConsole,
  toastWith,
  type ConsoleHarness,
} from './browser.js';

jest.setTimeout(180_000);

let harness: ConsoleHarness;

beforeAll(async () => {
  harness = await startConsole();
}, 300_000);
afterAll(() => harness?.close());

const topics = (count: number, prefix: string, parameters: Record<string, unknown> = {}) =>
  Array.from({ length: count }, (_, index) => ({
    id: `${prefix}-${index + 1}`,
    topic: `${prefix} topic ${index + 1}`,
    ...(Object.keys(parameters).length > 0 ? { parameters } : {}),
  }));

async function createBatch(user: string, body: Record<string, unknown>): Promise<BatchView> {
  const caller = await harness.platform.as(user);
  const created = await caller.call<BatchView>('POST', '/api/v1/batches', body);
  expect(created.status).toBe(201);
  return created.body;
}

const ended = (batchId: string) => () =>
  harness.platform.watcher.events.some(
    (event) => event.batchId === batchId && (event.type === 'BatchCompleted' || event.type === 'BatchFailed'),
  );

const settledCount = (batchId: string, type: 'ItemCompleted' | 'ItemFailed') =>
  harness.platform.watcher.events.filter((event) => event.batchId === batchId && event.type === type).length;
const completedCount = (batchId: string) => settledCount(batchId, 'ItemCompleted');

/** The page is signed in and its notifications socket is open. */
const live = (page: Page) => page.getByRole('banner').getByText('Live', { exact: true }).waitFor();

/** The dialog is not shown once the page has its answer to /batches/incomplete and has drawn it. */
async function noResumeDialogAfterLoad(page: Page): Promise<void> {
  await page.waitForResponse((response) => response.url().includes('/api/v1/batches/incomplete'));
  await page.evaluate(
    'new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))',
  );
  expect(await page.getByRole('dialog', { name: 'Incomplete Batch Detected' }).count()).toBe(0);
}

describe('signing in', () => {
  it('signs in from a pasted token (a text that is not a JWT is refused), stays signed in on reload, signs out', async () => {
    const { page, pageErrors, failedRequests } = await harness.open('/');
    await page.getByRole('heading', { name: 'Sign in to the batch console' }).waitFor();
    await expectAccessible(page, 'sign-in page');
    await screenshot(page, 'sign-in');

    await page.getByLabel('Access token').fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'This is not a JWT' }).waitFor();

    const { token } = await harness.platform.as('e2e-sign-in');
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Batches', level: 1 }).waitFor();
    await page.getByRole('banner').getByText('e2e-sign-in').waitFor();
    await page.getByText('No batches yet.').waitFor();
    await expectAccessible(page, 'batch list (empty)');

    await page.reload();
    await page.getByRole('heading', { name: 'Batches', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to the batch console' }).waitFor();
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });
});

describe('creating a batch and following it', () => {
  it('signs in from the #token= link, creates a batch from a JSONL file and follows its bar to 100% with no reload', async () => {
    const { page } = await harness.signIn('e2e-create', '/');
    await page.getByRole('heading', { name: 'Batches', level: 1 }).waitFor();
    // The token left the address bar with the sign-in.
    expect(page.url()).not.toContain('token=');
    expect(new URL(page.url()).pathname).toBe('/batches');
    await markDocument(page);

    await page.getByRole('link', { name: 'Create batch' }).click();
    await page.getByRole('heading', { name: 'Create a batch' }).waitFor();
    await page
      .getByLabel('Or upload a file')
      .setInputFiles(jsonlFile('support-topics.jsonl', topics(40, 'support')));
    await page.getByText('40 items ready (JSONL, support-topics.jsonl)').waitFor();
    await page.getByLabel('Name').fill('Support topics');
    // Each item takes 250 ms: long enough to see the bar move, short enough for a test.
    await page.getByLabel('Simulated latency per item (ms)').fill('250');
    await expectAccessible(page, 'create page');
    await page.getByRole('button', { name: 'Create batch' }).click();

    await page.getByRole('heading', { name: 'Support topics', level: 1 }).waitFor();
    await toastWith(page, 'Batch created: 40 items').waitFor();
    const bar = page.getByRole('progressbar', { name: 'Progress of Support topics' });
    // Under way: neither 0 nor 100, pushed over /ws.
    await bar.and(page.locator(':not([aria-valuenow="0"]):not([aria-valuenow="100"])')).waitFor();
    await bar.and(page.locator('[aria-valuenow="100"]')).waitFor({ timeout: 60_000 });
    await page.getByText('100% complete').waitFor();
    await toastWith(page, 'Batch completed: 40 succeeded, 0 failed').waitFor();
    await page.getByRole('article').getByText('completed', { exact: true }).waitFor();
    expect(await isSameDocument(page)).toBe(true);
    await screenshot(page, 'batch-detail');
    await expectAccessible(page, 'batch detail');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Batches' }).click();
    const row = page.getByRole('row').filter({ hasText: 'Support topics' });
    await row.getByRole('progressbar').and(page.locator('[aria-valuenow="100"]')).waitFor();
    await row.getByText('completed', { exact: true }).waitFor();
    await expectAccessible(page, 'batch list');
    expect(await isSameDocument(page)).toBe(true);
  });

  it('shows a 422 as "Validation Error" listing the failing fields', async () => {
    const { page } = await harness.signIn('e2e-validation', '/batches/new');
    await page.getByRole('heading', { name: 'Create a batch' }).waitFor();
    await page.getByLabel('Or upload a file').setInputFiles(jsonlFile('three.jsonl', topics(3, 'invalid')));
    await page.getByText('3 items ready').waitFor();
    // Beyond the API's 256: the browser would say so, the form does not check (noValidate), the gateway does.
    await page.getByLabel('Concurrency').fill('1000');
    await page.getByRole('button', { name: 'Create batch' }).click();

    const toast = toastWith(page, 'Validation Error');
    await toast.waitFor();
    const fields = toast.getByRole('list', { name: 'Fields with errors' });
    await fields.getByText(/concurrency/).waitFor();
    await page.getByRole('button', { name: 'Create batch' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/batches/new');
    await screenshot(page, 'toast-validation-error');
    await expectAccessible(page, 'create page with the Validation Error toast');
  });
});

describe('the resume dialog', () => {
  it('pause, reload: the dialog offers the batch; resumed from it, the batch completes and the dialog does not come back', async () => {
    const { page } = await harness.signIn('e2e-resume', '/batches');
    await page.getByText('No batches yet.').waitFor();
    await live(page);
    // Made elsewhere while the page is open: the list shows it by itself.
    const batch = await createBatch('e2e-resume', {
      name: 'Paused then resumed',
      items: topics(60, 'resume'),
      config: { provider: 'template', latencyMs: 400 },
    });
    await page.getByRole('link', { name: 'Paused then resumed' }).click();
    await page.getByRole('heading', { name: 'Paused then resumed', level: 1 }).waitFor();
    await page.getByRole('group', { name: 'Batch actions' }).getByRole('button', { name: 'Pause' }).click();
    await toastWith(page, 'Batch paused: Paused then resumed').waitFor();
    await page
      .getByRole('group', { name: 'Batch actions' })
      .getByRole('button', { name: 'Resume' })
      .waitFor();
    const paused = await (
      await harness.platform.as('e2e-resume')
    ).call<BatchView>('GET', `/api/v1/batches/${batch.batch_id}`);
    expect(paused.body.status).toBe('paused');
    expect(paused.body.pending_count).toBeGreaterThan(0);

    await page.reload();
    const dialog = page.getByRole('dialog', { name: 'Incomplete Batch Detected' });
    await dialog.waitFor();
    await dialog.getByText('You have 1 incomplete batch that can be resumed.').waitFor();
    const card = dialog.getByRole('region', { name: 'Paused then resumed' });
    // Items in flight at the pause still settle, so the share may have grown since.
    const complete = await card.getByText(/^\d+% complete$/).textContent();
    expect(Number.parseInt(complete ?? '', 10)).toBeGreaterThanOrEqual(
      Math.floor(paused.body.progress_percent),
    );
    expect(Number.parseInt(complete ?? '', 10)).toBeLessThan(100);
    await card.getByText('Last updated:').waitFor();
    await expectAccessible(page, 'resume dialog (one paused batch)');
    await card.getByRole('button', { name: 'Resume Batch' }).click();
    await toastWith(page, 'Batch resumed: Paused then resumed').waitFor();
    await dialog.waitFor({ state: 'hidden' });

    // Still running: a reload does not offer the batch the user just resumed.
    await page.reload();
    await noResumeDialogAfterLoad(page);
    const bar = page.getByRole('progressbar', { name: 'Progress of Paused then resumed' });
    await bar.and(page.locator('[aria-valuenow="100"]')).waitFor({ timeout: 90_000 });
    await page.getByRole('article').getByText('completed', { exact: true }).waitFor();
    await toastWith(page, 'Batch completed: 60 succeeded, 0 failed').waitFor();
  });

  it('lists each incomplete batch with its counts; "Discard Batch" discards one ("Batch discarded") for good', async () => {
    const user = 'e2e-discard';
    // Paused with some done and two failed; another waiting to start.
    const paused = await createBatch(user, {
      name: 'Support tickets',
      items: [...topics(2, 'broken', { simulateError: 'permanent' }), ...topics(38, 'ticket')],
      config: { provider: 'template', latencyMs: 300 },
    });
    // Items are not generated in order: both failures are in before the pause.
    await harness.platform.watcher.until(
      () => completedCount(paused.batch_id) >= 8 && settledCount(paused.batch_id, 'ItemFailed') === 2,
    );
    const caller = await harness.platform.as(user);
    expect((await caller.call('POST', `/api/v1/batches/${paused.batch_id}/pause`)).status).toBe(200);
    const pending = await createBatch(user, {
      name: 'Onboarding emails',
      items: topics(12, 'onboarding'),
      autoStart: false,
    });

    const { page } = await harness.signIn(user, '/batches');
    const dialog = page.getByRole('dialog', { name: 'Incomplete Batch Detected' });
    await dialog.getByText('You have 2 incomplete batches that can be resumed.').waitFor();
    const pausedCard = dialog.getByRole('region', { name: 'Support tickets' });
    const pendingCard = dialog.getByRole('region', { name: 'Onboarding emails' });
    await pausedCard.getByRole('button', { name: 'Resume Batch' }).waitFor();
    await pausedCard.getByRole('button', { name: 'Resume and retry failed' }).waitFor();
    await pausedCard.getByText(/2 failed items will be skipped by a resume/).waitFor();
    await pendingCard.getByRole('button', { name: 'Start' }).waitFor();
    await pendingCard.getByText('0% complete').waitFor();
    await screenshot(page, 'resume-dialog');
    await expectAccessible(page, 'resume dialog (paused and pending batches)');

    await pausedCard.getByRole('button', { name: 'Discard Batch' }).click();
    await toastWith(page, 'Batch discarded').waitFor();
    await pausedCard.waitFor({ state: 'detached' });
    await dialog.getByText('You have 1 incomplete batch that can be resumed.').waitFor();
    expect((await caller.call('GET', `/api/v1/batches/${paused.batch_id}`)).status).toBe(404);

    await dialog.getByRole('button', { name: 'Not now' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('row').filter({ hasText: 'Onboarding emails' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: 'Support tickets' }).count()).toBe(0);

    // Reloaded: the discarded batch is gone, and the one put off ("Not now") is not offered again in this tab.
    await page.reload();
    await noResumeDialogAfterLoad(page);
    expect((await caller.call<BatchView>('GET', `/api/v1/batches/${pending.batch_id}`)).body.status).toBe(
      'pending',
    );
  });
});

describe('the batch list', () => {
  it('shows every batch with its status and a live bar, and filters them by status', async () => {
    const user = 'e2e-list';
    const done = await createBatch(user, { name: 'Product descriptions', items: topics(8, 'product') });
    const partly = await createBatch(user, {
      name: 'Customer replies',
      items: [...topics(2, 'unanswerable', { simulateError: 'permanent' }), ...topics(10, 'reply')],
    });
    await harness.platform.watcher.until(ended(done.batch_id));
    await harness.platform.watcher.until(ended(partly.batch_id));
    const paused = await createBatch(user, {
      name: 'Support tickets',
      items: topics(30, 'ticket'),
      config: { provider: 'template', latencyMs: 300 },
    });
    await harness.platform.watcher.until(() => completedCount(paused.batch_id) >= 6);
    const caller = await harness.platform.as(user);
    expect((await caller.call('POST', `/api/v1/batches/${paused.batch_id}/pause`)).status).toBe(200);
    await createBatch(user, { name: 'Onboarding emails', items: topics(12, 'onboarding'), autoStart: false });
    const running = await createBatch(user, {
      name: 'FAQ answers',
      items: topics(60, 'faq'),
      config: { provider: 'template', latencyMs: 1000 },
    });

    const { page } = await harness.signIn(user, '/batches');
    const dialog = page.getByRole('dialog', { name: 'Incomplete Batch Detected' });
    await dialog.getByText('You have 3 incomplete batches that can be resumed.').waitFor();
    await dialog.getByRole('button', { name: 'Not now' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const rows = page.getByRole('table').getByRole('row');
    // Newest first: the header, then the five batches.
    await rows.nth(5).waitFor();
    expect(await rows.locator('th[scope=row]').allTextContents()).toEqual([
      'FAQ answers',
      'Onboarding emails',
      'Support tickets',
      'Customer replies',
      'Product descriptions',
    ]);
    const runningBar = rows.filter({ hasText: 'FAQ answers' }).getByRole('progressbar');
    const before = Number(await runningBar.getAttribute('aria-valuenow'));
    expect(before).toBeLessThan(100);
    await runningBar.and(page.locator(`:not([aria-valuenow="${before}"])`)).waitFor();
    await rows
      .filter({ hasText: 'Customer replies' })
      .getByRole('cell', { name: '2', exact: true })
      .waitFor();
    await screenshot(page, 'batch-list');
    await expectAccessible(page, 'batch list (five batches)');

    const filter = page.getByLabel('Status', { exact: true });
    await filter.selectOption('paused');
    // The previous page stays shown until the filtered one is read.
    await rows.filter({ hasText: 'FAQ answers' }).waitFor({ state: 'detached' });
    expect(await rows.locator('th[scope=row]').allTextContents()).toEqual(['Support tickets']);
    await filter.selectOption('completed');
    await rows.filter({ hasText: 'Support tickets' }).waitFor({ state: 'detached' });
    expect(await rows.locator('th[scope=row]').allTextContents()).toEqual([
      'Customer replies',
      'Product descriptions',
    ]);
    expect(running.total_items).toBe(60);
  });
});
