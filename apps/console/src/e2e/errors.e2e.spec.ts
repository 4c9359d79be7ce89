import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { BatchView } from '@batch/contracts';
import { replyTo, startFakeLlm, type FakeLlm } from '@batch/testing';
import type { Page } from 'playwright-core';
import { expectAccessible, screenshot, startConsole, toastWith, type ConsoleHarness } from './browser.js';

jest.setTimeout(180_000);

const RETRY_AFTER_SECONDS = 6;

let harness: ConsoleHarness;
let llm: FakeLlm;

beforeAll(async () => {
  // An OpenAI-compatible provider: a first call for a "rate-limited" topic gets a 429 with
  // Retry-After, a "bad-request" topic a 400 every time, anything else a conversation.
  llm = await startFakeLlm((request, attempt) => {
    if (request.prompt.includes('rate-limited') && attempt === 1)
      return {
        status: 429,
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
        body: {
          error: {
            message: 'Rate limit reached for requests',
            type: 'requests',
            code: 'rate_limit_exceeded',
          },
        },
      };
    if (request.prompt.includes('bad-request'))
      return {
        status: 400,
        body: {
          error: {
            message: "Invalid value for 'temperature': this model does not support it.",
            type: 'invalid_request_error',
            param: 'temperature',
            code: 'unsupported_value',
          },
        },
      };
    return { status: 200, body: replyTo(request, `a reply to ${request.prompt}`) };
  });
  harness = await startConsole({ OPENAI_API_KEY: 'sk-test-fake0123456789abcdefghijklmnop' });
}, 300_000);
afterAll(async () => {
  await harness?.close();
  await llm?.close();
});

const openaiConfig = () => ({ provider: 'openai', baseUrl: llm.baseUrl, model: 'fake-1' });

async function createBatch(user: string, body: Record<string, unknown>): Promise<BatchView> {
  const created = await (await harness.platform.as(user)).call<BatchView>('POST', '/api/v1/batches', body);
  expect(created.status).toBe(201);
  return created.body;
}

/** Signed in, on the batch list, with the notifications socket open. */
async function signedInLive(user: string): Promise<Page> {
  const { page } = await harness.signIn(user, '/batches');
  await page.getByRole('heading', { name: 'Batches', level: 1 }).waitFor();
  await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();
  return page;
}

const activeElement = (page: Page, script: string) =>
  page.evaluate(`(() => { const element = document.activeElement; return ${script}; })()`);

describe('toasts of the platform', () => {
  it('a rate-limited provider: a blue toast counting down "Retry available in …", then "Retry Now"', async () => {
    const page = await signedInLive('e2e-rate-limit');
    await createBatch('e2e-rate-limit', {
      name: 'Rate limited',
      items: [{ id: 'limited-1', topic: 'a rate-limited topic' }],
      config: openaiConfig(),
    });

    const toast = toastWith(page, 'Rate Limit Exceeded');
    await toast.getByText(/^Retry available in [1-6]s$/).waitFor();
    expect(await toast.getAttribute('data-kind')).toBe('action');
    await screenshot(page, 'toast-rate-limit');
    await expectAccessible(page, 'batch list with the rate-limit toast');
    // Counting down: a later second shows before the button.
    const shown = Number(
      /(\d)s$/.exec((await toast.getByText(/^Retry available in/).textContent()) ?? '')?.[1],
    );
    if (shown > 1) await toast.getByText(new RegExp(`^Retry available in [1-${shown - 1}]s$`)).waitFor();
    await toast
      .getByRole('button', { name: 'Retry Now' })
      .click({ timeout: (RETRY_AFTER_SECONDS + 5) * 1000 });
    // The worker retries by itself after the wait: Retry Now says so, or resumes a paused batch.
    await toastWith(page, /Calls go on by themselves|Batch resumed/).waitFor();
    await toastWith(page, 'Batch completed: 1 succeeded, 0 failed').waitFor({ timeout: 60_000 });
    expect(
      llm.callsFor(llm.requests.find((request) => request.prompt.includes('rate-limited'))!.prompt),
    ).toBe(2);
  });

  it('a failed item: "Generation Failed" with its code; "View details" opens the modal (tabs, copy, search, Esc)', async () => {
    const page = await signedInLive('e2e-failures');
    const batch = await createBatch('e2e-failures', {
      name: 'Partly failing',
      items: [
        { id: 'fine-1', topic: 'a fine topic' },
        { id: 'refused-1', topic: 'a bad-request topic' },
        { id: 'fine-2', topic: 'another fine topic' },
      ],
      config: openaiConfig(),
    });

    const failedToast = toastWith(page, 'Generation Failed');
    await failedToast.getByText('Error Code: ERR_API_BAD_REQUEST').waitFor();
    expect(await failedToast.getAttribute('data-kind')).toBe('permanent');
    await toastWith(page, 'Batch completed: 2 succeeded, 1 failed').waitFor();
    await screenshot(page, 'toast-generation-failed');

    // The toast's details come from the gateway (GET /api/v1/errors/:errorId).
    await failedToast.getByRole('button', { name: 'View Details' }).click();
    const dialog = page.getByRole('dialog', { name: 'Error Details' });
    await dialog.getByText('Error ID').waitFor();
    await dialog.getByText('refused-1').waitFor();
    await expectAccessible(page, 'error details modal (from a notification)');
    // Copy: {errorId, message, name, code, stack, timestamp}, "Copied" for 2 s.
    const errorId = await dialog
      .getByRole('definition')
      .filter({ hasText: /^err-[0-9a-f]{24}$/ })
      .textContent();
    await dialog.getByRole('button', { name: 'Copy', exact: true }).click();
    await dialog.getByRole('button', { name: 'Copied' }).waitFor();
    const copied = JSON.parse(String(await page.evaluate('navigator.clipboard.readText()'))) as Record<
      string,
      unknown
    >;
    expect(copied).toMatchObject({
      errorId,
      code: 'ERR_API_BAD_REQUEST',
      name: expect.any(String),
      message: expect.any(String),
      timestamp: expect.any(String),
    });
    await dialog.getByRole('button', { name: 'Copy', exact: true }).waitFor({ timeout: 5000 });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('link', { name: 'Partly failing' }).click();
    await page.getByRole('heading', { name: 'Failed items (1)' }).waitFor();
    const viewDetails = page.getByRole('button', { name: 'View details of item refused-1' });
    await page.getByRole('row').filter({ hasText: 'refused-1' }).getByText('ERR_API_BAD_REQUEST').waitFor();
    await viewDetails.click();

    await dialog.waitFor();
    const tabs = dialog.getByRole('tablist', { name: 'Error details' });
    expect(await tabs.getByRole('tab', { name: 'Summary' }).getAttribute('aria-selected')).toBe('true');
    await dialog.getByText('No - Permanent Error').waitFor();
    await dialog.getByText('What You Can Do').waitFor();
    await screenshot(page, 'error-modal');
    await expectAccessible(page, 'error details modal: Summary');

    // Focus stays in the dialog.
    for (let press = 0; press < 12; press++) {
      await page.keyboard.press('Tab');
      expect(await activeElement(page, "element?.closest('[role=dialog]') !== null")).toBe(true);
    }

    await tabs.getByRole('tab', { name: 'Technical' }).click();
    const technical = dialog.getByRole('tabpanel', { name: 'Technical' });
    await technical.getByRole('region', { name: 'Error Code' }).waitFor();
    await technical.getByRole('searchbox', { name: 'Search technical details' }).fill('HTTP 400');
    await technical
      .getByRole('status')
      .filter({ hasText: /^\d+ matching lines?$/ })
      .waitFor();
    expect(await technical.locator('mark').count()).toBeGreaterThan(0);
    expect(await technical.getByRole('region', { name: 'Error Code' }).count()).toBe(0);
    await screenshot(page, 'error-modal-technical');
    await expectAccessible(page, 'error details modal: Technical, searched');

    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // Focus is back where it was.
    expect(await activeElement(page, "element?.getAttribute('aria-label')")).toBe(
      'View details of item refused-1',
    );
    expect(batch.total_items).toBe(3);
  });
});

describe('the gateway unreachable', () => {
  it('"Network Error" with a Retry that repeats the request once the gateway is back', async () => {
    const user = 'e2e-network';
    const batch = await createBatch(user, {
      name: 'Started after an outage',
      items: [1, 2, 3, 4, 5].map((index) => ({ id: `outage-${index}`, topic: `outage topic ${index}` })),
      config: { provider: 'template' },
      autoStart: false,
    });
    const { page } = await harness.signIn(user, `/batches/${batch.batch_id}`);
    // A pending batch: the resume dialog offers it first.
    await page
      .getByRole('dialog', { name: 'Incomplete Batch Detected' })
      .getByRole('button', { name: 'Not now' })
      .click();
    const actions = page.getByRole('group', { name: 'Batch actions' });
    await actions.getByRole('button', { name: 'Start' }).waitFor();
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor();

    const port = new URL(harness.platform.baseUrl).port;
    await harness.platform.gatewayProcess.stop();
    await page.getByRole('banner').getByText('Reconnecting…').waitFor();
    await actions.getByRole('button', { name: 'Start' }).click();
    const toast = toastWith(page, 'Network Error');
    await toast.waitFor();
    await screenshot(page, 'toast-network-error');
    await expectAccessible(page, 'batch detail with the Network Error toast');

    await harness.platform.gateway({ GATEWAY_PORT: port });
    await toast.getByRole('button', { name: 'Retry' }).click();
    await toastWith(page, 'Batch started: Started after an outage').waitFor();
    await page.getByRole('banner').getByText('Live', { exact: true }).waitFor({ timeout: 60_000 });
    const bar = page.getByRole('progressbar', { name: 'Progress of Started after an outage' });
    await bar.and(page.locator('[aria-valuenow="100"]')).waitFor({ timeout: 60_000 });
    await page.getByRole('article').getByText('completed', { exact: true }).waitFor();
  });
});
