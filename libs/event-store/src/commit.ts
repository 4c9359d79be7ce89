import { createHash } from 'node:crypto';
import { isItemOutcome, outcomeKey, streamOf, type BatchEvent, type EventStream } from '@batch/contracts';

/** One message of the log: several events of one batch on one subject, stored together. */
export interface StoredCommit {
  /** Stream sequence of the message. */
  seq: number;
  stream: EventStream;
  events: BatchEvent[];
}

const encoder = new TextEncoder();
export const encodeCommit = (events: readonly BatchEvent[]): Uint8Array =>
  encoder.encode(JSON.stringify(events));
export const decodeCommit = (data: Uint8Array): BatchEvent[] =>
  JSON.parse(Buffer.from(data).toString('utf8'));

/** The key of one event for deduplication: outcomes by item and attempt, anything else by event id. */
const dedupKey = (event: BatchEvent): string =>
  isItemOutcome(event) ? outcomeKey(event) : `${event.batchId}/${event.eventId}`;

/**
 * The Nats-Msg-Id of a commit: a single event's own key, or a digest of all of them, so that a
 * repeated commit is dropped by JetStream within the duplicate window.
 */
export function commitId(events: readonly BatchEvent[]): string {
  if (events.length === 1) return dedupKey(events[0]!);
  const digest = createHash('sha256');
  for (const event of events) digest.update(dedupKey(event)).update('\n');
  return `${events[0]!.batchId}/commit/${digest.digest('base64url')}`;
}

/** The stream all events of one commit go to; a commit never mixes lifecycle and item events. */
export function streamOfCommit(events: readonly BatchEvent[]): EventStream {
  if (events.length === 0) throw new RangeError('a commit holds at least one event');
  const stream = streamOf(events[0]!);
  if (events.some((event) => streamOf(event) !== stream || event.batchId !== events[0]!.batchId))
    throw new RangeError('a commit holds events of one batch and one stream');
  return stream;
}

/**
 * Groups a decision's events into commits, in order: consecutive events of one stream share a
 * message while it stays within `maxBytes`.
 */
export function planCommits(events: readonly BatchEvent[], maxBytes: number): BatchEvent[][] {
  const commits: BatchEvent[][] = [];
  let current: BatchEvent[] = [];
  let bytes = 2;
  for (const event of events) {
    const size = Buffer.byteLength(JSON.stringify(event)) + 1;
    const fits = current.length > 0 && streamOf(current[0]!) === streamOf(event) && bytes + size <= maxBytes;
    if (!fits && current.length > 0) {
      commits.push(current);
      current = [];
      bytes = 2;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) commits.push(current);
  return commits;
}
