/** A dependency the service needs to do its work, checked by /readyz. */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects or hangs when it does not. */
  check(): Promise<unknown>;
}

export type CheckResult = 'up' | 'down';

export interface Readiness {
  /** Runs every check at once, each bounded in time; ready when all are up and not shutting down. */
  run(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }>;
  /** From now on the service reports not ready (shutting down): load balancers stop sending work. */
  drain(): void;
}

/** A dependency that does not answer within this is down, as far as readiness goes. */
const CHECK_TIMEOUT_MS = 1_000;

async function within(check: () => Promise<unknown>): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>(
    (resolve) => (timer = setTimeout(() => resolve('down'), CHECK_TIMEOUT_MS)),
  );
  try {
    return await Promise.race([check().then(() => 'up' as const), timeout]);
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/** The service's readiness: every check answers within CHECK_TIMEOUT_MS, and it is not stopping. */
export function createReadiness(checks: ReadinessCheck[]): Readiness {
  let draining = false;
  return {
    async run() {
      const results = await Promise.all(
        checks.map(async ({ name, check }) => [name, await within(check)] as const),
      );
      return {
        ready: !draining && results.every(([, result]) => result === 'up'),
        checks: Object.fromEntries(results),
      };
    },
    drain: () => void (draining = true),
  };
}
