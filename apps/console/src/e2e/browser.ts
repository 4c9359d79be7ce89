import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startPlatform, type Platform, type PlatformOptions } from '@batch/testing';
import { ensureConsoleBuilt, repositoryRoot } from './console-build.js';

/** Debian's Chromium, with the flags our machines and CI need (../shared/STACK.md). */
const CHROMIUM = {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

export const screenshotsDir = join(repositoryRoot, 'docs/screenshots');

export interface ConsoleHarness {
  platform: Platform;
  browser: Browser;
  /** A fresh browser context (its own storage) on `path`, not signed in. */
  open(path?: string): Promise<ConsolePage>;
  /** A fresh browser context signed in as `user` through the sign-in link (`#token=`), on `path`. */
  signIn(user: string, path?: string): Promise<ConsolePage & { token: string }>;
  close(): Promise<void>;
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** What the page reported: uncaught exceptions and console errors (failed requests aside). */
  pageErrors: string[];
  /** Requests answered 4xx/5xx, as `<status> <method> <path>`: tests expect theirs. */
  failedRequests: string[];
}

/**
 * The console as a user reaches it: built when stale, served by a real gateway (with orchestrator
 * and worker on real NATS and PostgreSQL), and a headless Chromium.
 */
export async function startConsole(
  workerEnv: Record<string, string> = {},
  everyService: Record<string, string> = {},
  options: PlatformOptions = {},
): Promise<ConsoleHarness> {
  await ensureConsoleBuilt();
  const platform = await startPlatform(workerEnv, everyService, options);
  let browser: Browser;
  try {
    const index = await fetch(`${platform.baseUrl}/`, { headers: { accept: 'text/html' } });
    const html = await index.text();
    if (!index.ok || !html.includes('<div id="root"'))
      throw new Error(`the gateway does not serve the console at / (${index.status}): ${html.slice(0, 200)}`);
    browser = await chromium.launch({ ...CHROMIUM, headless: true });
  } catch (error) {
    // The suite fails with this error; its services must not outlive it (Jest would wait for them).
    await platform.close();
    throw error;
  }
  const contexts: BrowserContext[] = [];
  const open = async (path = '/'): Promise<ConsolePage> => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      deviceScaleFactor: 1,
      reducedMotion: 'reduce',
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    contexts.push(context);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: platform.baseUrl });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(`${error.name}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource'))
        pageErrors.push(message.text());
    });
    const failedRequests: string[] = [];
    page.on('response', (response) => {
      if (response.status() >= 400)
        failedRequests.push(
          `${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`,
        );
    });
    await page.goto(`${platform.baseUrl}${path}`);
    return { context, page, pageErrors, failedRequests };
  };
  return {
    platform,
    browser,
    open,
    async signIn(user, path = '/') {
      const { token } = await platform.as(user);
      return { ...(await open(`${path}#token=${token}`)), token };
    },
    async close() {
      const minor = axeFindings.flatMap(({ where, violations }) =>
        violations.map(
          (violation) => `${where}: ${violation.id} (${violation.impact}) ${violation.targets.join(', ')}`,
        ),
      );
      // Not failures, but worth fixing: said once per file.
      if (minor.length > 0) console.warn(`axe, minor and moderate findings:\n${minor.join('\n')}`);
      await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
      await browser.close();
      await platform.close();
    },
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null | undefined;
  help: string;
  targets: string[];
}

/** axe-core's findings on the page as it is now (an open dialog included). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const loaded = await page.evaluate(() => 'axe' in globalThis);
  if (!loaded) await page.addScriptTag({ content: axe.source });
  return page.evaluate(async () => {
    const { axe: inPage } = globalThis as unknown as { axe: typeof axe };
    const results = await inPage.run({ resultTypes: ['violations'] });
    return results.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.map((node) => node.target.join(' ')),
    }));
  });
}

/** Every finding of the run, by page or dialog: the report names the minor and moderate ones. */
export const axeFindings: { where: string; violations: AxeViolation[] }[] = [];

/** Fails on serious or critical axe violations; keeps the others for the report. */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  axeFindings.push({ where, violations });
  const blocking = violations.filter((violation) => ['serious', 'critical'].includes(violation.impact ?? ''));
  if (blocking.length > 0)
    throw new Error(
      `axe: ${blocking.length} serious or critical violation(s) on ${where}:\n` +
        blocking
          .map(
            (violation) =>
              `- ${violation.id} (${violation.impact}): ${violation.help}\n    ${violation.targets.join('\n    ')}`,
          )
          .join('\n'),
    );
}

/** docs/screenshots/<name>.png, overwritten each run (shown in the README). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), animations: 'disabled', caret: 'hide' });
}

/** A toast (sonner's, announced as a status or an alert) showing `text`. */
export const toastWith = (page: Page, text: string | RegExp) =>
  page.getByTestId('toast').filter({ hasText: text });

/** Items as a JSONL file for the create page's file input. */
export const jsonlFile = (name: string, items: unknown[]) => ({
  name,
  mimeType: 'application/x-ndjson',
  buffer: Buffer.from(items.map((item) => JSON.stringify(item)).join('\n') + '\n'),
});

/** Marks the document, so that a test can tell later that the page was never reloaded. */
export const markDocument = (page: Page) => page.evaluate('globalThis.__sameDocument = true');
export const isSameDocument = async (page: Page) =>
  (await page.evaluate('globalThis.__sameDocument')) === true;
