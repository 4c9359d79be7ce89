import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KV } from '@nats-io/kv';
import type { Generated } from '../providers/provider.js';
import { backOff, correct, EMPTY_BUDGET, follow, reserve, type Budget, type Limit } from './budget.js';

/** A reserved call: what to tell the shared budget once it has answered. */
export interface Permit {
  /** It answered: its real token count replaces the estimate, and the provider's headers are followed. */
  answered(generated: Pick<Generated, 'usage' | 'limitsLeft'>): Promise<void>;
  /** It was refused with 429: every worker waits `seconds` before the route's next call. */
  rateLimited(seconds: number): Promise<void>;
}

export interface SharedLimiter {
  /**
   * Waits until a call of `tokens` on `route` is within `limit` for every worker together, and
   * reserves it. `stillWanted` is asked before each reservation: false gives up (undefined).
   */
  acquire(
    route: string,
    limit: Limit,
    tokens: number,
    stillWanted: () => Promise<boolean>,
  ): Promise<Permit | undefined>;
}

/**
 * A reservation is made at most this long before the call may start: one that is then withdrawn
 * (a pause, a shutdown) wastes no more of the budget than this.
 */
const RESERVE_AHEAD_MS = 1000;

const decode = (value: Uint8Array): Budget => {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(value)) as Partial<Budget>;
    return { requestsAt: Number(parsed.requestsAt) || 0, tokensAt: Number(parsed.tokensAt) || 0 };
  } catch {
    return EMPTY_BUDGET;
  }
};

/** KV keys allow few characters: a route (provider, base URL, model, credential name) by its digest. */
const keyOf = (route: string) => createHash('sha256').update(route).digest('hex').slice(0, 40);

/**
 * Rate limits held in one JetStream KV entry per route, changed only by compare-and-set, so every
 * worker replica draws from the same budget: two batches on one key share it, and four workers do
 * not send four times the limit. Within a worker, a route's callers queue in order, so only one of
 * them talks to NATS at a time.
 */
export function sharedLimiter(kv: KV, now: () => number = Date.now): SharedLimiter {
  const queues = new Map<string, Promise<unknown>>();

  /** Applies `change` to the route's budget, retrying when another worker changed it meanwhile. */
  async function update<T>(
    key: string,
    change: (budget: Budget) => { budget: Budget; result: T },
  ): Promise<T> {
    for (;;) {
      const entry = await kv.get(key);
      const current = entry && entry.operation === 'PUT' ? decode(entry.value) : EMPTY_BUDGET;
      const { budget, result } = change(current);
      if (budget === current) return result;
      const value = JSON.stringify(budget);
      try {
        if (entry) await kv.update(key, value, entry.revision);
        else await kv.create(key, value);
        return result;
      } catch {
        // Another worker wrote first: look again.
      }
    }
  }

  /** Runs `task` after the route's earlier callers in this worker. */
  function inTurn<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (queues.get(key) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => undefined);
    queues.set(key, settled);
    void settled.then(() => {
      if (queues.get(key) === settled) queues.delete(key);
    });
    return run;
  }

  return {
    async acquire(route, limit, tokens, stillWanted) {
      const key = keyOf(route);
      const startAt = await inTurn(key, async (): Promise<number | undefined> => {
        for (;;) {
          if (!(await stillWanted())) return undefined;
          const reserved = await update<{ startAt: number } | { waitMs: number }>(key, (budget) => {
            const reservation = reserve(budget, now(), limit, tokens);
            return reservation.startAt - now() > RESERVE_AHEAD_MS
              ? { budget, result: { waitMs: reservation.startAt - now() - RESERVE_AHEAD_MS } }
              : { budget: reservation.budget, result: { startAt: reservation.startAt } };
          });
          if ('startAt' in reserved) return reserved.startAt;
          await sleep(reserved.waitMs);
        }
      });
      if (startAt === undefined) return undefined;
      const waitMs = startAt - now();
      if (waitMs > 0) await sleep(waitMs);
      return {
        answered: ({ usage, limitsLeft }) =>
          update(key, (budget) => {
            const counted = usage ? usage.promptTokens + usage.completionTokens : tokens;
            return {
              budget: follow(correct(budget, limit, tokens, counted), now(), limit, limitsLeft),
              result: undefined,
            };
          }),
        rateLimited: (seconds) =>
          update(key, (budget) => ({ budget: backOff(budget, now(), seconds), result: undefined })),
      };
    },
  };
}
