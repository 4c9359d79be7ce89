import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { Counter, Gauge, type Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientMessage, WS_CLOSE, type ControlMessage, type Notification } from '@batch/contracts';
import { LOGGER, METRICS, SETTINGS, type Logger } from '@batch/platform';
import { AUTHENTICATOR } from '../auth/auth.guard.js';
import type { Authenticate } from '../auth/authenticator.js';
import type { GatewayConfig } from '../config/gateway.config.js';
import { NotificationFeed } from './notification-feed.js';
import { TopicOwners } from './topic-owners.js';

/** A client message is small: topics, a sequence, a token. */
const MAX_CLIENT_MESSAGE_BYTES = 64 * 1024;
const MAX_TOPICS = 1_000;
export const WS_PATH = '/ws';

/** One socket: its user once authenticated, its topics, and where it is in the user's notifications. */
class Connection {
  userId: string | undefined;
  readonly topics = new Set<string>();
  /** The newest sequence sent on this socket: nothing at or below it is sent again. */
  lastSent = 0;
  /** Live notifications held while a replay runs, sent after it in order. */
  held: Notification[] | undefined;
  /** A `resume` without topics waits for the subscription to replay with. */
  resumeAfter: number | undefined;
  alive = true;
  stopListening: (() => void) | undefined;
  /** Client messages are handled one after another, in the order they came. */
  queue: Promise<void> = Promise.resolve();

  constructor(readonly socket: WebSocket) {}

  wants(notification: Notification): boolean {
    return this.topics.has('user') || this.topics.has(notification.topic);
  }
}

/**
 * `/ws`: each user's notifications over WebSocket (ARCHITECTURE.md, WebSocket notifications).
 * Authenticated by `?token=` or a first `auth` message; a socket receives only its user's
 * notifications on the topics it subscribed to, each once and in sequence order, live or replayed
 * after `resume`. A socket that reads too slowly is closed (4008, resume), never buffered without end.
 */
@Injectable()
export class NotificationSockets implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  private readonly byUser = new Map<string, Set<Connection>>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly sent: Counter;
  private readonly closedFor: Counter;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly feed: NotificationFeed,
    private readonly owners: TopicOwners,
    @Inject(AUTHENTICATOR) private readonly authenticate: Authenticate,
    @Inject(SETTINGS) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) registry: Registry,
  ) {
    const clients = this.server.clients;
    new Gauge({
      name: 'ws_connections',
      help: 'Open notification sockets (/ws) on this replica',
      registers: [registry],
      collect() {
        this.set(clients.size);
      },
    });
    this.sent = new Counter({
      name: 'ws_notifications_sent_total',
      help: 'Notifications sent on sockets, replayed ones included',
      registers: [registry],
    });
    this.closedFor = new Counter({
      name: 'ws_closed_by_server_total',
      help: 'Sockets the gateway closed, by reason (slow_consumer, auth_timeout, unauthorized, too_many_connections)',
      labelNames: ['reason'],
      registers: [registry],
    });
  }

  onApplicationBootstrap(): void {
    const http = this.adapterHost.httpAdapter.getHttpServer() as Server;
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(request.url ?? '/', 'http://gateway').pathname !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      this.server.handleUpgrade(request, socket, head, (ws) => this.open(ws, request));
    });
    this.heartbeat = setInterval(() => this.beat(), this.config.WS_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Before the HTTP server closes: every socket is told to reconnect (elsewhere) and resume. */
  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const socket of this.server.clients)
      socket.close(WS_CLOSE.GOING_AWAY, 'the gateway is shutting down: reconnect and resume');
  }

  private open(socket: WebSocket, request: IncomingMessage): void {
    const connection = new Connection(socket);
    const token = new URL(request.url ?? '/', 'http://gateway').searchParams.get('token');
    const authTimer = setTimeout(() => {
      this.closedFor.inc({ reason: 'auth_timeout' });
      socket.close(
        WS_CLOSE.AUTH_TIMEOUT,
        'authentication required: ?token=<JWT> or {"type":"auth","token":...}',
      );
    }, this.config.WS_AUTH_TIMEOUT_MS);
    socket.on('pong', () => (connection.alive = true));
    socket.on('close', () => {
      clearTimeout(authTimer);
      this.forget(connection);
    });
    socket.on('error', (error) => this.logger.debug({ err: error }, 'a notification socket failed'));
    socket.on('message', (data, isBinary) => {
      connection.queue = connection.queue
        .then(() => this.handle(connection, isBinary ? undefined : data.toString(), authTimer))
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'a notification socket message failed');
          socket.close(1011, 'internal error: reconnect and resume');
        });
    });
    if (token) connection.queue = this.signIn(connection, token, authTimer);
  }

  private async handle(
    connection: Connection,
    text: string | undefined,
    authTimer: NodeJS.Timeout,
  ): Promise<void> {
    let json: unknown;
    try {
      json = text === undefined ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    const parsed = ClientMessage.safeParse(json);
    if (!parsed.success)
      return this.control(connection, {
        type: 'refused',
        code: 'bad_message',
        message: `not a client message: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || 'message'} ${issue.message}`).join('; ')}`,
      });
    const message = parsed.data;
    if (message.type === 'auth') {
      if (connection.userId)
        return this.control(connection, {
          type: 'refused',
          code: 'bad_message',
          message: 'already authenticated',
        });
      return this.signIn(connection, message.token, authTimer);
    }
    if (!connection.userId)
      return this.control(connection, {
        type: 'refused',
        code: 'bad_message',
        message: 'authenticate first: {"type":"auth","token":"<JWT>"}',
      });
    switch (message.type) {
      case 'ping':
        return this.control(connection, { type: 'pong' });
      case 'subscribe':
        if (!(await this.subscribe(connection, message.topics))) return;
        if (connection.resumeAfter !== undefined) await this.replay(connection, connection.resumeAfter);
        return;
      case 'unsubscribe':
        for (const topic of message.topics) connection.topics.delete(topic);
        return this.control(connection, { type: 'unsubscribed', topics: message.topics });
      case 'resume':
        return this.resume(connection, message.lastSeq, message.topics);
    }
  }

  private async signIn(connection: Connection, token: string, authTimer: NodeJS.Timeout): Promise<void> {
    const { socket } = connection;
    let userId: string;
    try {
      userId = await this.authenticate(token);
    } catch (error) {
      clearTimeout(authTimer);
      this.closedFor.inc({ reason: 'unauthorized' });
      socket.close(WS_CLOSE.UNAUTHORIZED, `unauthorized: ${(error as Error).message}`.slice(0, 120));
      return;
    }
    clearTimeout(authTimer);
    if (socket.readyState !== socket.OPEN) return;
    let sockets = this.byUser.get(userId);
    if (!sockets) this.byUser.set(userId, (sockets = new Set()));
    if (sockets.size >= this.config.WS_MAX_CONNECTIONS_PER_USER) {
      this.closedFor.inc({ reason: 'too_many_connections' });
      socket.close(
        WS_CLOSE.TOO_MANY_CONNECTIONS,
        `too many connections: at most ${this.config.WS_MAX_CONNECTIONS_PER_USER} per user`,
      );
      return;
    }
    sockets.add(connection);
    connection.userId = userId;
    connection.stopListening = this.feed.listen(userId, (notification, owner) => {
      if (owner !== userId) return;
      if (connection.held) connection.held.push(notification);
      else this.send(connection, notification);
    });
    this.control(connection, { type: 'welcome', userId, lastSeq: this.feed.lastSeq });
  }

  /** Adds the topics the user owns; answers false (refused) if any is not theirs or there would be too many. */
  private async subscribe(connection: Connection, topics: string[]): Promise<boolean> {
    const fresh = topics.filter((topic) => !connection.topics.has(topic));
    if (connection.topics.size + fresh.length > MAX_TOPICS) {
      this.control(connection, {
        type: 'refused',
        code: 'too_many_topics',
        message: `at most ${MAX_TOPICS} topics per connection`,
        topics: fresh,
      });
      return false;
    }
    const refused = await this.owners.notOwned(connection.userId!, fresh);
    for (const topic of fresh) if (!refused.includes(topic)) connection.topics.add(topic);
    if (refused.length > 0)
      this.control(connection, {
        type: 'refused',
        code: 'not_found',
        message: `no such ${refused.length === 1 ? 'resource' : 'resources'} of yours: ${refused.join(', ')}`,
        topics: refused,
      });
    this.control(connection, { type: 'subscribed', topics: [...connection.topics] });
    return true;
  }

  private async resume(connection: Connection, lastSeq: number, topics: string[] | undefined): Promise<void> {
    // Newer messages went out already: replaying older ones now would break the order.
    if (connection.lastSent > lastSeq)
      return this.control(connection, {
        type: 'resync',
        reason: `messages after ${lastSeq} were already sent on this connection (up to ${connection.lastSent}): resume before subscribing`,
        lastSeq: connection.lastSent,
      });
    if (topics && !(await this.subscribe(connection, topics))) return;
    if (connection.topics.size === 0) {
      connection.resumeAfter = lastSeq;
      return;
    }
    await this.replay(connection, lastSeq);
  }

  /** Sends what the user's subject holds after `afterSeq`, holding live messages meanwhile, then those. */
  private async replay(connection: Connection, afterSeq: number): Promise<void> {
    connection.resumeAfter = undefined;
    connection.held = [];
    try {
      const outcome = await this.feed.replay(connection.userId!, afterSeq, (notification) =>
        this.send(connection, notification),
      );
      if (outcome.resync !== undefined)
        this.control(connection, { type: 'resync', reason: outcome.resync, lastSeq: this.feed.lastSeq });
      else this.control(connection, { type: 'resumed', fromSeq: afterSeq, replayed: outcome.replayed });
    } finally {
      const held = connection.held;
      connection.held = undefined;
      for (const notification of held) this.send(connection, notification);
    }
  }

  /** Sends a notification the socket wants and has not had; answers false once the socket is gone. */
  private send(connection: Connection, notification: Notification): boolean {
    const { socket } = connection;
    if (socket.readyState !== socket.OPEN) return false;
    if (notification.seq <= connection.lastSent || !connection.wants(notification)) return true;
    if (socket.bufferedAmount > this.config.WS_MAX_BUFFERED_BYTES) {
      this.closedFor.inc({ reason: 'slow_consumer' });
      socket.close(
        WS_CLOSE.SLOW_CONSUMER,
        `too slow: more than ${this.config.WS_MAX_BUFFERED_BYTES} bytes unsent; reconnect and resume`,
      );
      return false;
    }
    connection.lastSent = notification.seq;
    socket.send(JSON.stringify(notification));
    this.sent.inc();
    return true;
  }

  private control(connection: Connection, message: ControlMessage): void {
    const { socket } = connection;
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  }

  private forget(connection: Connection): void {
    connection.stopListening?.();
    connection.held = undefined;
    if (!connection.userId) return;
    const sockets = this.byUser.get(connection.userId);
    sockets?.delete(connection);
    if (sockets?.size === 0) this.byUser.delete(connection.userId);
  }

  /** Sockets that did not answer the last ping are gone: closed; the others are pinged again. */
  private beat(): void {
    for (const sockets of this.byUser.values())
      for (const connection of sockets) {
        if (!connection.alive) {
          connection.socket.terminate();
          continue;
        }
        connection.alive = false;
        connection.socket.ping();
      }
  }
}
