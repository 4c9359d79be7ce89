import WebSocket from 'ws';
import {
  connectNotifications,
  type BatchClient,
  type BatchView,
  type Notification,
  type NotificationsEnd,
} from '@batch/client';
import { ENDED, errorLine, newerView, throughputOf, withCounts } from './batch-updates.js';
import type { WatchProgress } from './progress.js';
import type { Throughput } from './throughput.js';

export interface FollowOptions {
  client: BatchClient;
  baseUrl: string;
  token: string;
  /** The batch as fetched just before; not ended. */
  batch: BatchView;
  bar: WatchProgress;
}

/** The batch as last seen: ended, or not when the socket could not be used (`fallback` says why). */
export interface Followed {
  batch: BatchView;
  fallback?: string;
}

/** Pings find a dead connection (a gateway gone without a close) within two intervals. */
const PING_INTERVAL_MS = 15_000;
/** Failed reconnects in a row (about a minute of backoff) before polling takes over. */
const MAX_RETRIES = 8;
/** The batch is fetched this often all the same: token and cost totals are not in the notifications. */
const REFRESH_MS = 30_000;

/**
 * Follows a batch over `/ws` until it ends: progress and status from `batch:<id>` notifications,
 * its errors on stderr. The batch is fetched again once subscribed (it may have ended between the
 * first fetch and the subscription) and after a `resync`.
 */
export function followBatch({ client, baseUrl, token, batch, bar }: FollowOptions): Promise<Followed> {
  const batchId = batch.batch_id;
  const topic = `batch:${batchId}`;
  return new Promise<Followed>((resolve) => {
    let shown = batch;
    let throughput: Throughput = { itemsPerSecond: 0, etaSeconds: undefined };
    let opened = false;
    let subscribed = false;
    let done = false;

    const finish = (followed: Followed) => {
      if (done) return;
      done = true;
      clearInterval(refresher);
      socket.close();
      resolve(followed);
    };
    /** The summary reads the batch as REST has it (usage, times), unless the read model is still behind. */
    const finishEnded = async () => {
      const fetched = await client.getBatch(batchId).catch(() => undefined);
      finish({ batch: fetched !== undefined && ENDED.has(fetched.status) ? fetched : shown });
    };
    const show = (view: BatchView, note?: string) => {
      if (done) return;
      shown = view;
      bar.update(view, throughput, note);
      if (ENDED.has(view.status)) void finishEnded();
    };
    const refetch = async () => {
      const fetched = await client.getBatch(batchId).catch(() => undefined);
      if (fetched !== undefined) show(newerView(shown, fetched));
    };
    const onNotification = (notification: Notification) => {
      switch (notification.type) {
        case 'batch.progress':
          throughput = throughputOf(notification.payload);
          return show(withCounts(shown, notification.payload));
        case 'batch.status':
          return show(withCounts(shown, notification.payload));
        case 'error':
          return bar.log(errorLine(notification.payload));
        default:
          return;
      }
    };

    const socket = connectNotifications({
      baseUrl,
      token,
      topics: [topic],
      WebSocket,
      pingIntervalMs: PING_INTERVAL_MS,
      maxRetries: MAX_RETRIES,
      onNotification: (notification) => {
        if (notification.topic === topic) onNotification(notification);
      },
      onOpen: () => {
        opened = true;
      },
      onControl: (message) => {
        if (message.type !== 'subscribed' || !message.topics.includes(topic)) return;
        if (!subscribed) bar.log(`following ${batchId} live over WebSocket notifications\n`);
        subscribed = true;
        void refetch();
      },
      onResync: () => void refetch(),
      onRefused: (message) => {
        if (message.topics?.includes(topic) ?? true)
          finish({ batch: shown, fallback: `the gateway refused ${topic}: ${message.message}` });
      },
      onReconnecting: (info) => {
        if (!opened) finish({ batch: shown, fallback: `cannot connect: ${info.message}` });
        else bar.update(shown, throughput, '(reconnecting)');
      },
      onEnd: (end) => {
        if (end.reason !== 'closed') finish({ batch: shown, fallback: describeEnd(end) });
      },
    });
    const refresher = setInterval(() => void refetch(), REFRESH_MS);
  });
}

function describeEnd(end: Exclude<NotificationsEnd, { reason: 'closed' }>): string {
  switch (end.reason) {
    case 'unauthorized':
      return `the gateway refused the token (${end.code}: ${end.message})`;
    case 'too_many_connections':
      return `too many connections for this user (${end.code})`;
    case 'gave_up':
      return `the connection kept failing (${end.message})`;
    case 'closed_by_server':
      return `the gateway closed the connection (${end.code}${end.message === '' ? '' : `: ${end.message}`})`;
    default: {
      const unhandled: never = end;
      return `stopped (${JSON.stringify(unhandled)})`;
    }
  }
}
