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
   * reserves it. `stillWanted` is asked while it waits: false gives up (undefined).
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
/** A route whose next turn is far off is looked at again after this long (changes, withdrawals). */
const LOOK_AGAIN_MS = 1000;

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

interface Waiter {
  limit: Limit;
  tokens: number;
  stillWanted: () => Promise<boolean>;
  granted: (startAt: number | undefined) => void;
}

interface Change {
  apply: (budget: Budget, now: number) => Budget;
  done: (error?: unknown) => void;
}

/** A route's callers and budget changes in this worker, waiting for its next exchange with NATS. */
interface Route {
  waiting: Waiter[];
  changes: Change[];
  pumping: boolean;
}

/**
 * Rate limits held in one JetStream KV entry per route, changed only by compare-and-set, so every
 * worker replica draws from the same budget: two batches on one key share it, and four workers do
 * not send four times the limit. Within a worker, a route's callers and the changes their answers
 * bring wait in one queue, and one compare-and-set serves all of them that it can: at high rates
 * a worker reserves many turns in one exchange with NATS, not one per call.
 */
export function sharedLimiter(kv: KV, now: () => number = Date.now): SharedLimiter {
  const routes = new Map<string, Route>();

  /** Applies `change` to the route's budget, retrying when another worker changed it meanwhile. */
  async function update<T>(
    key: string,
    change: (budget: Budget) => { budget: Budget; result: T },
  ): Promise<T> {
    for (;;) {
      const entry = await kv.get(key);
      const current = entry && entry.operation === 'PUT' ? decode(entry.value) : EMPTY_BUDGET;
      const { budget, result } = change(current);
      if (budget.requestsAt === current.requestsAt && budget.tokensAt === current.tokensAt) return result;
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

  /** One exchange: the queued changes, then as many waiting calls as are due within RESERVE_AHEAD_MS. */
  async function exchange(key: string, route: Route): Promise<number | undefined> {
    const changes = route.changes.splice(0);
    const waiting = [...route.waiting];
    try {
      const { starts, nextAt } = await update<{ starts: number[]; nextAt?: number }>(key, (start) => {
        const at = now();
        let budget = changes.reduce((budget, change) => change.apply(budget, at), start);
        const starts: number[] = [];
        for (const waiter of waiting) {
          const reservation = reserve(budget, at, waiter.limit, waiter.tokens);
          if (reservation.startAt - at > RESERVE_AHEAD_MS)
            return { budget, result: { starts, nextAt: reservation.startAt } };
          budget = reservation.budget;
          starts.push(reservation.startAt);
        }
        return { budget, result: { starts } };
      });
      for (const change of changes) change.done();
      route.waiting.splice(0, starts.length).forEach((waiter, index) => waiter.granted(starts[index]));
      return nextAt;
    } catch (error) {
      for (const change of changes) change.done(error);
      throw error;
    }
  }

  /** Lets go of the callers nobody wants any more (asked while the route's next turn is far off). */
  async function dropUnwanted(route: Route): Promise<void> {
    const asked = [...route.waiting];
    const wanted = await Promise.all(asked.map((waiter) => waiter.stillWanted().catch(() => true)));
    const gone = new Set(asked.filter((_, index) => !wanted[index]));
    route.waiting = route.waiting.filter((waiter) => !gone.has(waiter));
    for (const waiter of gone) waiter.granted(undefined);
  }

  /** Serves a route's queue until it is empty; one pump per route in this worker. */
  async function pump(key: string, route: Route): Promise<void> {
    route.pumping = true;
    try {
      while (route.waiting.length > 0 || route.changes.length > 0) {
        let nextAt: number | undefined;
        try {
          nextAt = await exchange(key, route);
        } catch {
          // NATS trouble: try again in a moment; the callers wait meanwhile.
          nextAt = now() + RESERVE_AHEAD_MS + LOOK_AGAIN_MS;
        }
        if (nextAt === undefined) continue;
        await dropUnwanted(route);
        // Back when half a reservation window of turns is free, so one exchange takes many at once.
        await sleep(Math.min(LOOK_AGAIN_MS, Math.max(0, nextAt - now() - RESERVE_AHEAD_MS / 2)));
      }
    } finally {
      route.pumping = false;
      if (routes.get(key) === route && route.waiting.length === 0 && route.changes.length === 0)
        routes.delete(key);
    }
  }

  /** Queues a caller or a change on the route, and serves the route if nobody does. */
  function enqueue(key: string, add: (route: Route) => void): void {
    let route = routes.get(key);
    if (!route) routes.set(key, (route = { waiting: [], changes: [], pumping: false }));
    add(route);
    if (!route.pumping) void pump(key, route);
  }

  /** Queues a change of the route's budget for its next exchange. */
  const change = (key: string, apply: Change['apply']) =>
    new Promise<void>((resolve, reject) =>
      enqueue(key, (route) =>
        route.changes.push({ apply, done: (error) => (error ? reject(error) : resolve()) }),
      ),
    );

  return {
    async acquire(routeName, limit, tokens, stillWanted) {
      const key = keyOf(routeName);
      const startAt = await new Promise<number | undefined>((granted) =>
        enqueue(key, (route) => route.waiting.push({ limit, tokens, stillWanted, granted })),
      );
      if (startAt === undefined) return undefined;
      const waitMs = startAt - now();
      if (waitMs > 0) await sleep(waitMs);
      return {
        answered: async ({ usage, limitsLeft }) => {
          const counted = usage ? usage.promptTokens + usage.completionTokens : tokens;
          // Nothing to correct: no tokens limit (or a perfect estimate) and no headers to follow.
          if ((!limit.tokensPerMinute || counted === tokens) && !limitsLeft) return;
          await change(key, (budget, at) =>
            follow(correct(budget, limit, tokens, counted), at, limit, limitsLeft),
          );
        },
        rateLimited: (seconds) => change(key, (budget, at) => backOff(budget, at, seconds)),
      };
    },
  };
}
