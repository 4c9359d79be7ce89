import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ApiErrorBody, type BatchList, type BatchView } from '@batch/contracts';
import { call, itemsOf, startPlatform, tokenFor, type Platform } from '@batch/testing';
import {
  fuzzRequests,
  type Caller,
  type FuzzRequest,
  type KnownIds,
  type OpenApiDocument,
} from './fuzz-requests.js';

/**
 * Thousands of wrong, hostile and foreign requests over every route of the OpenAPI document, as an
 * attacker or a careless user would send them. `FUZZ_REQUESTS` (default 3,000) and `FUZZ_SEED`
 * (default 20261130; `random` for a new one, printed) set the run: a failure names its seed.
 */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 3_000);
const SEED =
  process.env.FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.FUZZ_SEED ?? 20_261_130);
const IN_FLIGHT = 8;

/** A stack trace in an answer: `at fn (file:line)` frames or a source path with a line number. */
const STACK_TRACE = /\n\s+at .+\(|\bat [\w$.<>]+ \(|\.(ts|js):\d+:\d+/;

let platform: Platform;
let baseUrl: string;
let tokens: Record<Caller, string | undefined>;
let known: KnownIds;

beforeAll(async () => {
  platform = await startPlatform({}, {}, { backups: true });
  // A gateway of the fuzzer's own, its rate limit lifted: every request reaches a route.
  ({ baseUrl } = await platform.gateway({ RATE_LIMIT_REQUESTS: '1000000' }));
  tokens = {
    owner: await tokenFor('fuzz-owner'),
    stranger: await tokenFor('fuzz-stranger'),
    none: undefined,
    garbage: 'garbage.token.value',
    expired: await tokenFor('fuzz-owner', '-1m'),
    'nul-subject': await tokenFor('fuzz\u0000owner'),
    'long-subject': await tokenFor('s'.repeat(300)),
  };
  const create = async (token: string, autoStart: boolean) =>
    (await call<BatchView>(baseUrl, token, 'POST', '/api/v1/batches', { items: itemsOf(3), autoStart })).body
      .batch_id;
  known = {
    owner: [await create(tokens.owner!, false), await create(tokens.owner!, true)],
    stranger: [await create(tokens.stranger!, false)],
  };
}, 120_000);
afterAll(() => platform?.close());

interface Finding {
  request: FuzzRequest;
  status: number;
  why: string;
}

async function send(request: FuzzRequest): Promise<{ status: number; finding?: Finding }> {
  const headers: Record<string, string> = {};
  const token = tokens[request.caller];
  if (token) headers.authorization = `Bearer ${token}`;
  const text = request.raw ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
  if (text !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${request.path}`, { method: request.method, headers, body: text });
  const answer = await response.text();
  const { status } = response;
  const found = (why: string) => ({ status, finding: { request, status, why } });
  if (status >= 500) return found(`a ${status}: ${answer.slice(0, 300)}`);
  if (STACK_TRACE.test(answer)) return found(`a stack trace: ${answer.slice(0, 300)}`);
  if (status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(answer);
    } catch {
      return found(`an error that is not JSON: ${answer.slice(0, 200)}`);
    }
    if (!ApiErrorBody.safeParse(body).success)
      return found(`an error not in the error shape: ${answer.slice(0, 200)}`);
  }
  return { status };
}

describe(`fuzzing every route of the OpenAPI document (${REQUESTS} requests, seed ${SEED})`, () => {
  it('answers every request with a 2xx or a 4xx in the error shape: no 5xx, no stack trace', async () => {
    const document = (await call<OpenApiDocument>(baseUrl, undefined, 'GET', '/api/openapi.json')).body;
    const requests = fc.sample(fuzzRequests(document, known), { numRuns: REQUESTS, seed: SEED });
    const findings: Finding[] = [];
    const statuses = new Map<number, number>();
    const routes = new Set<string>();
    let next = 0;
    const lane = async () => {
      while (next < requests.length) {
        const request = requests[next++]!;
        const { status, finding } = await send(request);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        routes.add(`${request.method} ${request.route}`);
        if (finding) findings.push(finding);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
    const byStatus = [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}: ${count}`);
    console.log(
      `fuzz: ${requests.length} requests over ${routes.size} routes, seed ${SEED}; ${byStatus.join(', ')}`,
    );
    const documented = Object.values(document.paths).reduce(
      (count, methods) => count + Object.keys(methods).length,
      0,
    );
    expect(routes.size).toBe(documented);
    expect(
      findings.map(
        ({ request, status, why }) =>
          `${request.method} ${request.path.slice(0, 120)} as ${request.caller} (${status}): ${why}`,
      ),
    ).toEqual([]);
  }, 600_000);

  it('still answers fresh data afterwards: a new batch is listed at once and runs to completed', async () => {
    const token = await tokenFor('fuzz-after');
    const created = await call<BatchView>(baseUrl, token, 'POST', '/api/v1/batches', { items: itemsOf(2) });
    expect(created.status).toBe(201);
    const listed = await call<BatchList>(baseUrl, token, 'GET', '/api/v1/batches');
    expect(listed.body.batches.map((batch) => batch.batch_id)).toEqual([created.body.batch_id]);
    await platform.watcher.until((events) =>
      events.some((event) => event.batchId === created.body.batch_id && event.type === 'BatchCompleted'),
    );
    expect(
      (await call<BatchView>(baseUrl, token, 'GET', `/api/v1/batches/${created.body.batch_id}`)).body,
    ).toMatchObject({
      status: 'completed',
      processed_count: 2,
    });
  }, 120_000);
});
