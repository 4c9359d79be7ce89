import { randomUUID } from 'node:crypto';

/**
 * The clock and the ids a command's events get: the domain never reads them itself, and every
 * service takes them from here (the domain's `CommandMetadata` / `EventMetadata`).
 */
export function commandMetadata(requestedBy?: string): {
  now: string;
  newEventId: () => string;
  requestedBy?: string;
} {
  return { now: new Date().toISOString(), newEventId: randomUUID, ...(requestedBy ? { requestedBy } : {}) };
}
