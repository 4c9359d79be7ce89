import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startPlatform, type Platform } from '@batch/testing';

let platform: Platform;
let dir: string;
let empty: string;
let baseUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><div id="root"></div>');
  writeFileSync(join(dir, 'assets', 'app-1a2b3c.js'), 'console.log("app")');
  // A file where an API path is: the API's paths never look into the console's files.
  mkdirSync(join(dir, 'api', 'v1'), { recursive: true });
  writeFileSync(join(dir, 'api', 'v1', 'batches'), 'a file, not the API');
  empty = mkdtempSync(join(tmpdir(), 'no-console-'));
  platform = await startPlatform({}, { CONSOLE_DIR: empty });
  ({ baseUrl } = await platform.gateway({ CONSOLE_DIR: dir }));
}, 120_000);
afterAll(async () => {
  await platform?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

const html = { accept: 'text/html,application/xhtml+xml' };

describe('the console served by the gateway', () => {
  it('serves its files at / without a token, assets cached for good and pages always checked', async () => {
    const page = await fetch(`${baseUrl}/`, { headers: html });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>console</title>');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const asset = await fetch(`${baseUrl}/assets/app-1a2b3c.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
  });

  it("answers a console page a browser opens with index.html, and leaves the API's paths to the API", async () => {
    const deep = await fetch(`${baseUrl}/batches/batch-123`, { headers: html });
    expect(deep.status).toBe(200);
    expect(await deep.text()).toContain('<div id="root">');
    for (const accept of [html, {}]) {
      const api = await fetch(`${baseUrl}/api/v1/batches`, { headers: accept });
      expect(api.status).toBe(401);
      expect(api.headers.get('content-type')).toMatch(/json/);
    }
    const seed = await fetch(`${baseUrl}/batch/list`, { headers: html });
    expect(seed.status).toBe(401);
    expect((await fetch(`${baseUrl}/healthz`, { headers: html })).headers.get('content-type')).toMatch(
      /json/,
    );
    const missingAsset = await fetch(`${baseUrl}/assets/gone.js`);
    expect(missingAsset.status).toBe(404);
  });

  it('serves nothing at / when the console is not built', async () => {
    const page = await fetch(`${platform.baseUrl}/nowhere`, { headers: html });
    expect(page.status).toBe(404);
  });
});
