import { planCommits } from './commit.js';
import { isConcurrencyError } from './errors.js';
import type { EventStore } from './event-store.js';
import { keyedLock } from './keyed-lock.js';
import type { SnapshotStore, SnapshotVersion } from './snapshot-store.js';

/** An aggregate's pure functions, as its domain defines them. */
export interface Decider<S, C, E> {
  initialState(): S;
  evolve(state: S, event: E): S;
  decide(command: C, state: S): E[];
  /** A JSON-able image of the state, or undefined when there is nothing worth keeping. */
  toSnapshot(state: S): unknown;
  fromSnapshot(snapshot: never): S;
}

export interface Loaded<S> {
  state: S;
  /** The last commit folded in, and the last on the guarded channel (the expected sequence of the next decision). */
  version: SnapshotVersion;
  /** Weight of the events folded since the snapshot (events, unless a `weigh` says otherwise). */
  eventsSinceSnapshot: number;
}

export interface Handled<E> {
  events: E[];
  version: SnapshotVersion;
}

export interface AggregateStore<S, C, E> {
  /** Latest snapshot + the events after it, kept warm in memory between calls. */
  load(id: string): Promise<Loaded<S>>;
  /** Load, decide, append with the expected guarded sequence; on a conflict, reload and decide again. */
  handle(id: string, command: C): Promise<Handled<E>>;
  /** Writes a snapshot now (whatever the event count); answers its compressed size. */
  snapshot(id: string): Promise<{ bytes: number; chunks: number }>;
  /** Drops the aggregate from memory and removes its snapshot (one that ended). */
  forget(id: string): Promise<void>;
  /**
   * Removes the aggregate's events too (cleanup), between two calls on it, never while one is
   * reading its log: afterwards the aggregate does not exist.
   */
  remove(id: string): Promise<void>;
}

export interface AggregateStoreOptions<S, C, E> {
  events: EventStore<E>;
  snapshots: SnapshotStore;
  decider: Decider<S, C, E>;
  /**
   * A snapshot is taken once this many events (by weight) were folded since the last one; or
   * however many the state asks for (a large aggregate costs more to snapshot than to replay a while).
   */
  snapshotEvery?: number | ((state: S) => number);
  /** How much one event counts towards `snapshotEvery` (default 1): a chunk of 10,000 items weighs more than a pause. */
  weigh?: (event: E) => number;
  maxConflictRetries?: number;
  /** Aggregates kept warm in memory; the least recently used is dropped first. */
  cacheSize?: number;
  /** Reports snapshots taken in the background (every `snapshotEvery` events). */
  onSnapshot?: (id: string, saved: { bytes: number; chunks: number }) => void;
  onSnapshotError?: (id: string, error: unknown) => void;
}

/**
 * The one command handler of the platform, for any aggregate type the event store describes. States
 * are cached and caught up from the log before every use; an aggregate's calls run one at a time
 * (a state may be folded in place, as a batch's item table is).
 */
export function createAggregateStore<S, C, E>(
  options: AggregateStoreOptions<S, C, E>,
): AggregateStore<S, C, E> {
  const { events, snapshots, decider } = options;
  const { aggregate } = events;
  const every = options.snapshotEvery ?? 10_000;
  const snapshotEvery = typeof every === 'number' ? () => every : every;
  const maxConflictRetries = options.maxConflictRetries ?? 5;
  const cacheSize = options.cacheSize ?? 32;
  const weigh = options.weigh ?? (() => 1);
  const cache = new Map<string, Loaded<S>>();
  const withLock = keyedLock();

  async function fromStore(id: string): Promise<Loaded<S>> {
    const stored = await snapshots.load<never>(id);
    return stored
      ? {
          state: decider.fromSnapshot(stored.state),
          version: { seq: stored.seq, lifecycleSeq: stored.lifecycleSeq },
          eventsSinceSnapshot: 0,
        }
      : { state: decider.initialState(), version: { seq: 0, lifecycleSeq: 0 }, eventsSinceSnapshot: 0 };
  }

  async function saveSnapshot(id: string, loaded: Loaded<S>): Promise<{ bytes: number; chunks: number }> {
    const image = decider.toSnapshot(loaded.state);
    if (image === undefined) return { bytes: 0, chunks: 0 };
    const json = JSON.stringify(image);
    loaded.eventsSinceSnapshot = 0;
    return snapshots.save(id, { ...loaded.version }, json);
  }

  async function loadLocked(id: string): Promise<Loaded<S>> {
    const loaded = cache.get(id) ?? (await fromStore(id));
    cache.delete(id);
    cache.set(id, loaded);
    if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    for await (const commit of events.read(id, loaded.version.seq + 1)) {
      for (const event of commit.events) {
        loaded.state = decider.evolve(loaded.state, event);
        loaded.eventsSinceSnapshot += weigh(event);
      }
      loaded.version.seq = commit.seq;
      if (commit.channel === aggregate.guarded) loaded.version.lifecycleSeq = commit.seq;
    }
    if (loaded.eventsSinceSnapshot >= snapshotEvery(loaded.state))
      saveSnapshot(id, loaded).then(
        (saved) => options.onSnapshot?.(id, saved),
        (error: unknown) => options.onSnapshotError?.(id, error),
      );
    return loaded;
  }

  async function appendDecision(id: string, decided: E[], lifecycleSeq: number): Promise<SnapshotVersion> {
    const version = { seq: 0, lifecycleSeq };
    let pendingUnguarded: Promise<{ seq: number }>[] = [];
    const settleUnguarded = async () => {
      for (const { seq } of await Promise.all(pendingUnguarded)) version.seq = Math.max(version.seq, seq);
      pendingUnguarded = [];
    };
    for (const commit of planCommits(aggregate, decided, events.maxCommitBytes)) {
      if (aggregate.channelOf(commit[0]!) !== aggregate.guarded) {
        pendingUnguarded.push(events.append(id, commit));
        continue;
      }
      await settleUnguarded();
      const { seq } = await events.append(id, commit, { expectedLastSeq: version.lifecycleSeq });
      version.seq = Math.max(version.seq, seq);
      version.lifecycleSeq = seq;
    }
    await settleUnguarded();
    return version;
  }

  return {
    load: (id) => withLock(id, () => loadLocked(id)),

    handle: (id, command) =>
      withLock(id, async () => {
        for (let attempt = 0; ; attempt++) {
          const loaded = await loadLocked(id);
          const decided = decider.decide(command, loaded.state);
          if (decided.length === 0) return { events: decided, version: { ...loaded.version } };
          try {
            return {
              events: decided,
              version: await appendDecision(id, decided, loaded.version.lifecycleSeq),
            };
          } catch (error) {
            if (!isConcurrencyError(error) || attempt >= maxConflictRetries) throw error;
            // Load from the store again: the log may also have lost events (a cleanup elsewhere).
            cache.delete(id);
          }
        }
      }),

    snapshot: (id) => withLock(id, async () => saveSnapshot(id, await loadLocked(id))),

    forget: (id) =>
      withLock(id, async () => {
        cache.delete(id);
        await snapshots.remove(id);
      }),
    remove: (id) =>
      withLock(id, async () => {
        cache.delete(id);
        await events.purge(id);
        await snapshots.remove(id);
      }),
  };
}
