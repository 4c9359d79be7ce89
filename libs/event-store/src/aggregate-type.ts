/**
 * How one type of aggregate lies in JetStream: its stream, the subjects of its events, which of
 * them decisions are guarded on, and how a repeated commit is recognised. The event store is
 * written against this alone, so a new aggregate type is one more description, not one more store.
 *
 * Each aggregate's events are split over a few channels, one subject each, all under one filter:
 * replayed in stream order with a single filter subject (NATS 2.9 consumers take one), while only
 * the guarded channel's appends carry an expected sequence, so a flood of facts on the others never
 * invalidates a decision.
 */
export interface AggregateType<E, Channel extends string = string> {
  /** The JetStream stream holding every aggregate of this type. */
  readonly streamName: string;
  /** Filter for every event of every aggregate of this type: the stream's subject, the projections' filter. */
  readonly allEvents: string;
  /** Filter for every event of one aggregate, in order: its replay (and purge) filter. */
  eventsOf(id: string): string;
  /** The subject of one channel of one aggregate. */
  subjectOf(id: string, channel: Channel): string;
  readonly channels: readonly Channel[];
  /** The channel whose appends carry the expected last sequence of the decision that made them. */
  readonly guarded: Channel;
  channelOf(event: E): Channel;
  /** The aggregate an event belongs to. */
  idOf(event: E): string;
  /** The key JetStream deduplicates an event by (its Nats-Msg-Id when committed alone). */
  dedupKey(event: E): string;
}
