import { createHash } from 'node:crypto';
import type { AggregateType } from './aggregate-type.js';

/** One message of the log: several events of one aggregate on one channel, stored together. */
export interface StoredCommit<E, Channel extends string = string> {
  /** Stream sequence of the message. */
  seq: number;
  channel: Channel;
  events: E[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const encodeCommit = (events: readonly unknown[]): Uint8Array =>
  encoder.encode(JSON.stringify(events));
export const decodeCommit = <E>(data: Uint8Array): E[] => JSON.parse(decoder.decode(data));

/** Bytes of a commit of no events: its brackets. */
export const EMPTY_COMMIT_BYTES = 2;
/** Bytes one event adds to a commit: its JSON and a comma (counted without encoding it). */
export const bytesInCommit = (event: unknown): number => Buffer.byteLength(JSON.stringify(event)) + 1;

/**
 * The Nats-Msg-Id of a commit: a single event's own key, or a digest of all of them, so that a
 * repeated commit is dropped by JetStream within the duplicate window.
 */
export function commitId<E>(aggregate: AggregateType<E>, events: readonly E[]): string {
  if (events.length === 1) return aggregate.dedupKey(events[0]!);
  const digest = createHash('sha256');
  for (const event of events) digest.update(aggregate.dedupKey(event)).update('\n');
  return `${aggregate.idOf(events[0]!)}/commit/${digest.digest('base64url')}`;
}

/** The channel all events of one commit go to; a commit never mixes aggregates or channels. */
export function channelOfCommit<E, Channel extends string>(
  aggregate: AggregateType<E, Channel>,
  events: readonly E[],
): Channel {
  if (events.length === 0) throw new RangeError('a commit holds at least one event');
  const channel = aggregate.channelOf(events[0]!);
  const id = aggregate.idOf(events[0]!);
  if (events.some((event) => aggregate.channelOf(event) !== channel || aggregate.idOf(event) !== id))
    throw new RangeError('a commit holds events of one aggregate and one channel');
  return channel;
}

/**
 * Groups a decision's events into commits, in order: consecutive events of one channel share a
 * message while it stays within `maxBytes`.
 */
export function planCommits<E>(
  aggregate: Pick<AggregateType<E>, 'channelOf'>,
  events: readonly E[],
  maxBytes: number,
): E[][] {
  const commits: E[][] = [];
  let current: E[] = [];
  let bytes = EMPTY_COMMIT_BYTES;
  for (const event of events) {
    const size = bytesInCommit(event);
    const fits =
      current.length > 0 &&
      aggregate.channelOf(current[0]!) === aggregate.channelOf(event) &&
      bytes + size <= maxBytes;
    if (!fits && current.length > 0) {
      commits.push(current);
      current = [];
      bytes = EMPTY_COMMIT_BYTES;
    }
    current.push(event);
    bytes += size;
  }
  if (current.length > 0) commits.push(current);
  return commits;
}
