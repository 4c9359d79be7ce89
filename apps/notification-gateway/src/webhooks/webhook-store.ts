import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { decodeCursor, encodeCursor } from '@batch/persistence';
import type {
  WebhookDeliveryAttempt,
  WebhookDeliveryOutcome,
  WebhookEvent,
  WebhookView,
} from '@batch/contracts';

interface EndpointRow {
  endpoint_id: string;
  url: string;
  events: WebhookEvent[];
  description: string | null;
  created_at: Date;
}

const toView = (row: EndpointRow): WebhookView => ({
  id: row.endpoint_id,
  url: row.url,
  events: row.events,
  description: row.description,
  createdAt: row.created_at.toISOString(),
});

const ENDPOINT_COLUMNS = 'endpoint_id, url, events, description, created_at';

interface AttemptRow {
  id: string;
  delivery_id: string;
  event: WebhookEvent;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  attempted_at: Date;
  outcome: WebhookDeliveryOutcome;
}

/** Attempts are listed newest first: attempted_at (milliseconds, as written), then row id. */
const AttemptCursor = z.tuple([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,19}$/)]);

export interface NewEndpoint {
  endpointId: string;
  userId: string;
  url: string;
  events: WebhookEvent[];
  description: string | null;
  createdAt: Date;
}

export interface Attempt {
  endpointId: string;
  deliveryId: string;
  notificationSeq: number;
  event: WebhookEvent;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  attemptedAt: Date;
  outcome: WebhookDeliveryOutcome;
}

/** A user's webhook endpoints and their delivery attempts in PostgreSQL; every read is owner-scoped. */
export const webhookStore = (ds: DataSource) => ({
  /**
   * Inserts the endpoint unless the user has `limit` already. A soft limit: two creations at the same
   * instant may both pass it, which bounds nothing worse than one user's own list.
   */
  async insert(endpoint: NewEndpoint, limit: number): Promise<WebhookView | undefined> {
    const rows = (await ds.query(
      `INSERT INTO webhook_endpoints (endpoint_id, user_id, url, events, description, created_at)
       SELECT $1, $2, $3, $4, $5, $6
       WHERE (SELECT count(*) FROM webhook_endpoints WHERE user_id = $2) < $7
       RETURNING ${ENDPOINT_COLUMNS}`,
      [
        endpoint.endpointId,
        endpoint.userId,
        endpoint.url,
        endpoint.events,
        endpoint.description,
        endpoint.createdAt,
        limit,
      ],
    )) as EndpointRow[];
    return rows[0] && toView(rows[0]);
  },

  async list(userId: string): Promise<WebhookView[]> {
    const rows = (await ds.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE user_id = $1
       ORDER BY created_at DESC, endpoint_id DESC`,
      [userId],
    )) as EndpointRow[];
    return rows.map(toView);
  },

  async get(userId: string, endpointId: string): Promise<WebhookView | undefined> {
    const [row] = (await ds.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE endpoint_id = $1 AND user_id = $2`,
      [endpointId, userId],
    )) as EndpointRow[];
    return row && toView(row);
  },

  /** An endpoint whoever owns it: a delivery's target. */
  async target(endpointId: string): Promise<{ url: string } | undefined> {
    const [row] = (await ds.query(`SELECT url FROM webhook_endpoints WHERE endpoint_id = $1`, [
      endpointId,
    ])) as { url: string }[];
    return row;
  },

  /** Answers whether there was such an endpoint of the user's; its attempts go with it. */
  async remove(userId: string, endpointId: string): Promise<boolean> {
    // TypeORM answers a DELETE with [rows, affected count].
    const [, deleted] = (await ds.query(
      `DELETE FROM webhook_endpoints WHERE endpoint_id = $1 AND user_id = $2`,
      [endpointId, userId],
    )) as [unknown[], number];
    return deleted > 0;
  },

  /** The user's endpoints that subscribe to the event. */
  async subscribers(userId: string, event: WebhookEvent): Promise<string[]> {
    const rows = (await ds.query(
      `SELECT endpoint_id FROM webhook_endpoints WHERE user_id = $1 AND $2 = ANY (events)`,
      [userId, event],
    )) as { endpoint_id: string }[];
    return rows.map((row) => row.endpoint_id);
  },

  /** How many attempts of a delivery were recorded, and when the first was made. */
  async history(deliveryId: string): Promise<{ attempts: number; firstAttemptAt: Date | null }> {
    const [row] = (await ds.query(
      `SELECT count(*)::int AS attempts, min(attempted_at) AS first FROM webhook_deliveries WHERE delivery_id = $1`,
      [deliveryId],
    )) as { attempts: number; first: Date | null }[];
    return { attempts: row?.attempts ?? 0, firstAttemptAt: row?.first ?? null };
  },

  /** Records an attempt; false when its endpoint is gone (deleted meanwhile). */
  async record(attempt: Attempt): Promise<boolean> {
    const rows = (await ds.query(
      `INSERT INTO webhook_deliveries (endpoint_id, delivery_id, notification_seq, event, attempt, status_code,
         error, duration_ms, attempted_at, outcome)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
       WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE endpoint_id = $1)
       ON CONFLICT (delivery_id, attempt) DO UPDATE SET status_code = EXCLUDED.status_code,
         error = EXCLUDED.error, duration_ms = EXCLUDED.duration_ms, attempted_at = EXCLUDED.attempted_at,
         outcome = EXCLUDED.outcome
       RETURNING id`,
      [
        attempt.endpointId,
        attempt.deliveryId,
        attempt.notificationSeq,
        attempt.event,
        attempt.attempt,
        attempt.statusCode,
        attempt.error,
        attempt.durationMs,
        attempt.attemptedAt,
        attempt.outcome,
      ],
    )) as unknown[];
    return rows.length > 0;
  },

  /** An endpoint's attempts, newest first, a page at a time; a bad cursor is a ValidationError. */
  async attempts(
    endpointId: string,
    { cursor, limit }: { cursor?: string; limit: number },
  ): Promise<{ deliveries: WebhookDeliveryAttempt[]; next_cursor: string | null }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, AttemptCursor);
    const rows = (await ds.query(
      `SELECT id, delivery_id, event, attempt, status_code, error, duration_ms, attempted_at, outcome
       FROM webhook_deliveries
       WHERE endpoint_id = $1 ${after ? 'AND (attempted_at, id) < ($3::timestamptz, $4::bigint)' : ''}
       ORDER BY attempted_at DESC, id DESC
       LIMIT $2`,
      [endpointId, limit + 1, ...(after ?? [])],
    )) as AttemptRow[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      deliveries: page.map((row) => ({
        deliveryId: row.delivery_id,
        event: row.event,
        attempt: row.attempt,
        statusCode: row.status_code,
        error: row.error,
        durationMs: row.duration_ms,
        attemptedAt: row.attempted_at.toISOString(),
        outcome: row.outcome,
      })),
      next_cursor:
        rows.length > limit && last ? encodeCursor([last.attempted_at.toISOString(), last.id]) : null,
    };
  },
});

export type WebhookStore = ReturnType<typeof webhookStore>;
