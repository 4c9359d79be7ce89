import { ControlMessage, Notification, Topic, type ClientMessage } from '@batch/contracts';

/** One message from `/ws`, sorted out: new, already seen, about the connection, or not understood. */
export type Received =
  | { kind: 'notification'; notification: Notification }
  | { kind: 'duplicate'; seq: number }
  | { kind: 'control'; message: ControlMessage }
  | { kind: 'invalid'; text: string; reason: string };

/**
 * What a notifications client remembers across connections (no I/O): the topics it follows and
 * how far it has read, so every connection opens with the one message that continues where the
 * last one stopped.
 */
export interface NotificationSession {
  /** The highest `seq` received; 0 before the first notification. */
  readonly lastSeq: number;
  readonly topics: readonly Topic[];
  /**
   * The first message of a connection: `resume {lastSeq, topics}` once there is a point to resume
   * from, `subscribe {topics}` before that, nothing without topics.
   */
  openingMessage(): ClientMessage | undefined;
  /** Parses and books one message (raw text off the socket). */
  receive(text: string): Received;
  /** Adds topics; answers the ones that were not followed yet. */
  subscribe(topics: readonly string[]): Topic[];
  /** Removes topics; answers the ones that were followed. */
  unsubscribe(topics: readonly string[]): Topic[];
}

export interface SessionStart {
  topics?: readonly string[];
  /** A `seq` read before (e.g. kept by a page across a reload): the first connection resumes after it. */
  lastSeq?: number;
}

export function notificationSession({
  topics = [],
  lastSeq: startSeq = 0,
}: SessionStart = {}): NotificationSession {
  const followed = new Set<Topic>(topicsOf(topics));
  let lastSeq = startSeq;
  /*
   * Before any notification, the stream position the server last told us (welcome, resync) is a
   * resume point: notifications sent while we were away then come through a reconnect. It never
   * drops anything: a live message older than it may still be on its way.
   */
  let anchor: number | undefined = startSeq > 0 ? startSeq : undefined;

  const resumePoint = (): number | undefined =>
    anchor === undefined ? (lastSeq > 0 ? lastSeq : undefined) : Math.max(anchor, lastSeq);

  const book = (message: ControlMessage): Received => {
    if (message.type === 'welcome' && anchor === undefined && lastSeq === 0) anchor = message.lastSeq;
    if (message.type === 'resync') anchor = Math.max(anchor ?? 0, message.lastSeq);
    if (message.type === 'refused' && message.code === 'not_found')
      for (const topic of message.topics ?? []) followed.delete(topic as Topic);
    return { kind: 'control', message };
  };

  return {
    get lastSeq() {
      return lastSeq;
    },
    get topics() {
      return [...followed];
    },
    openingMessage() {
      if (followed.size === 0) return undefined;
      const topics = [...followed];
      const from = resumePoint();
      return from === undefined ? { type: 'subscribe', topics } : { type: 'resume', lastSeq: from, topics };
    },
    receive(text) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return { kind: 'invalid', text, reason: 'not JSON' };
      }
      const seq = sequenceOf(value);
      if (seq === undefined) {
        const control = ControlMessage.safeParse(value);
        return control.success ? book(control.data) : invalid(text, control.error.issues);
      }
      if (seq <= lastSeq) return { kind: 'duplicate', seq };
      // Booked even when not understood: a replay would only bring the same message again.
      lastSeq = seq;
      const notification = Notification.safeParse(value);
      return notification.success
        ? { kind: 'notification', notification: notification.data }
        : invalid(text, notification.error.issues);
    },
    subscribe(topics) {
      const added = topicsOf(topics).filter((topic) => !followed.has(topic));
      for (const topic of added) followed.add(topic);
      return added;
    },
    unsubscribe(topics) {
      const removed = topicsOf(topics).filter((topic) => followed.has(topic));
      for (const topic of removed) followed.delete(topic);
      return removed;
    },
  };
}

/** Topics checked before anything is sent: a mistake shows where it was made, not as a refusal later. */
function topicsOf(topics: readonly string[]): Topic[] {
  return [
    ...new Set(
      topics.map((topic) => {
        const parsed = Topic.safeParse(topic);
        if (!parsed.success)
          throw new TypeError(`${JSON.stringify(topic)} ${parsed.error.issues[0]?.message}`);
        return parsed.data;
      }),
    ),
  ];
}

const sequenceOf = (value: unknown): number | undefined => {
  if (typeof value !== 'object' || value === null || !('seq' in value)) return undefined;
  const { seq } = value;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
};

const invalid = (text: string, issues: readonly { path: PropertyKey[]; message: string }[]): Received => ({
  kind: 'invalid',
  text,
  reason: issues
    .slice(0, 3)
    .map((issue) => `${issue.path.map(String).join('.') || 'message'}: ${issue.message}`)
    .join('; '),
});
