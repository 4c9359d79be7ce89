import { setTimeout as sleep } from 'node:timers/promises';

export interface StartChecks {
  /** The worker is shutting down: what has not started goes back to the queue. */
  stopping(): boolean;
  /** NATS is reachable: cut off, the message may be delivered to another worker meanwhile. */
  connected(): boolean;
  /** Someone still wants the message: it is in the work stream (a cancel purges it) and its batch has not ended. */
  stillWanted(): Promise<boolean>;
  /** The batch holds the message back: paused, or resumed with new settings (see lifecycleVerdicts). */
  heldBack(): Promise<boolean>;
  /** Hears when the message starts and stops being held back (it then takes no room). */
  parked?: (parked: boolean) => void;
  /** Resolves when a message held back is worth looking at again (by default, after 250 ms). */
  untilLookAgain?: () => Promise<void>;
}

/**
 * Whether a message's next item (or retry) may start. A message its batch holds back (paused; or
 * from before a resume with new settings) waits, heartbeated and parked, until the batch runs in its
 * config again or its work is purged: never generated while paused, nor in a config the user has
 * changed, and never sent again on resume.
 */
export function mayStart(checks: StartChecks): {
  mayStart: () => Promise<boolean>;
  canStartNow: () => Promise<boolean>;
} {
  const untilLookAgain = checks.untilLookAgain ?? (() => sleep(250));
  const usable = () => !checks.stopping() && checks.connected();
  let waiting = 0;
  const wait = (entering: boolean) => {
    waiting += entering ? 1 : -1;
    if (waiting === (entering ? 1 : 0)) checks.parked?.(entering);
  };
  return {
    canStartNow: async () =>
      usable() && (await checks.stillWanted()) && !(await checks.heldBack()) && usable(),
    mayStart: async () => {
      if (!usable() || !(await checks.stillWanted())) return false;
      if (!(await checks.heldBack())) return usable();
      wait(true);
      try {
        do {
          await untilLookAgain();
          if (!usable() || !(await checks.stillWanted())) return false;
        } while (await checks.heldBack());
      } finally {
        wait(false);
      }
      return usable();
    },
  };
}
