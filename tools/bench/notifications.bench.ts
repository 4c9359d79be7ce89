import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { names as namesOf, type BackupFact, type Notification } from '@batch/contracts';
import { publishBackupFact } from '@batch/messaging';
import { freePort, removeNamespace, startService, testDatabase, type ServiceProcess } from '@batch/testing';
import { cpuSeconds } from './cpu-usage.js';
import { mib, type Figure } from './report.js';
import { peakRssMibOf, rssBytes } from './rss-sampler.js';

/**
 * `BENCH_ONLY=notifications`: the gateway as a process (it is also the notifier), BENCH_WS_CLIENTS
 * (1,000) sockets from this process, SOCKETS_PER_USER per user (a user with several tabs), all
 * subscribed to `user`. Facts are published to BACKUP_FACTS as a service would; each becomes a
 * notification (the notifier: parse, translate, store on the user's subject) that the gateway
 * fans out to the user's sockets. Latency is from the fact's publish (its `at`, copied into the
 * notification) to a socket's receipt, at a paced rate; then the delivery rate with facts
 * published as fast as this process can.
 */
const CLIENTS = Number(process.env.BENCH_WS_CLIENTS ?? 1_000);
const SOCKETS_PER_USER = 4;
const PACED_FACTS_PER_SECOND = 250;
const PACED_SECONDS = 10;
const BURST_FACTS = 10_000;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;

export async function notificationsBench(
  nc: NatsConnection,
  parentNamespace: string,
  natsUrl: string,
): Promise<Figure[]> {
  const namespace = `${parentNamespace}_ws`;
  const names = namesOf(namespace);
  const js = jetstream(nc);
  const database = await testDatabase();
  const secret = randomBytes(32).toString('hex');
  const port = await freePort();
  let gateway: ServiceProcess | undefined;
  const sockets: WebSocket[] = [];
  try {
    gateway = await startService('notification-gateway', {
      NATS_URL: natsUrl,
      NATS_NAMESPACE: namespace,
      DATABASE_URL: database.url,
      DATABASE_SCHEMA: database.schema,
      LOG_LEVEL: 'info',
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: String(port),
      AUTH_JWT_SECRET: secret,
    });
    const pid = gateway.child.pid!;
    const users = Array.from(
      { length: Math.ceil(CLIENTS / SOCKETS_PER_USER) },
      (_, index) => `ws-bench-${index}`,
    );
    const latencies: number[] = [];
    let received = 0;
    let onReceived: (() => void) | undefined;
    const rssIdle = rssBytes(pid);

    const connectStarted = performance.now();
    for (let index = 0; index < CLIENTS; index += 1) {
      const user = users[index % users.length]!;
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(user)
        .setExpirationTime('2h')
        .sign(new TextEncoder().encode(secret));
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.on('message', (data) => {
          const message = JSON.parse(data.toString()) as Notification | { type: string };
          if (message.type === 'welcome')
            socket.send(JSON.stringify({ type: 'subscribe', topics: ['user'] }));
          else if (message.type === 'subscribed') resolve();
          else if ('seq' in message) {
            latencies.push(Date.now() - Date.parse(message.at));
            received += 1;
            onReceived?.();
          }
        });
      });
    }
    const connectMs = performance.now() - connectStarted;
    const rssConnected = rssBytes(pid);

    const fact = (user: string, processed: number): BackupFact => ({
      kind: 'backup',
      id: `backup-${Date.now()}-bench${processed}`,
      userId: user,
      at: new Date().toISOString(),
      status: 'running',
      processed,
      total: null,
    });
    const allReceived = (expected: number) =>
      new Promise<void>((resolve) => {
        onReceived = () => {
          if (received >= expected) resolve();
        };
        onReceived();
      });

    // Paced: the latency a user sees while the gateway is busy but not saturated.
    const cpuBefore = cpuSeconds(pid);
    const pacedStarted = performance.now();
    let published = 0;
    for (let tick = 0; tick < PACED_SECONDS * 10; tick += 1) {
      const due = pacedStarted + tick * 100;
      await delay(Math.max(0, due - performance.now()));
      await Promise.all(
        Array.from({ length: PACED_FACTS_PER_SECOND / 10 }, () => {
          published += 1;
          return publishBackupFact(js, names, fact(users[published % users.length]!, published));
        }),
      );
    }
    await allReceived(published * SOCKETS_PER_USER);
    const pacedMs = performance.now() - pacedStarted;
    const pacedCpu = cpuSeconds(pid) - cpuBefore;
    const sorted = [...latencies].sort((a, b) => a - b);
    const paced = { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? 0 };

    // Burst: facts as fast as this process publishes them; what the gateway delivers per second.
    latencies.length = 0;
    received = 0;
    const burstStarted = performance.now();
    for (let start = 0; start < BURST_FACTS; start += 500)
      await Promise.all(
        Array.from({ length: 500 }, (_, index) =>
          publishBackupFact(js, names, fact(users[(start + index) % users.length]!, start + index)),
        ),
      );
    await allReceived(BURST_FACTS * SOCKETS_PER_USER);
    const burstMs = performance.now() - burstStarted;
    const burstSorted = [...latencies].sort((a, b) => a - b);
    const expectedSockets = CLIENTS;

    return [
      {
        name: 'sockets connected and subscribed',
        value: expectedSockets,
        unit: 'sockets',
        note: `${users.length} users × ${SOCKETS_PER_USER}, in ${(connectMs / 1000).toFixed(1)} s one after another`,
      },
      {
        name: 'latency fact -> socket, p50',
        value: paced.p50,
        unit: 'ms',
        note: `${PACED_FACTS_PER_SECOND} facts/s for ${PACED_SECONDS} s = ${PACED_FACTS_PER_SECOND * SOCKETS_PER_USER} socket messages/s`,
      },
      { name: 'latency fact -> socket, p99', value: paced.p99, unit: 'ms', note: `max ${paced.max} ms` },
      {
        name: 'gateway CPU while paced',
        value: Math.round((pacedCpu / (pacedMs / 1000)) * 100),
        unit: '% of a core',
        note: 'notifier + fan-out',
      },
      {
        name: 'burst: socket messages delivered',
        value: Math.round((BURST_FACTS * SOCKETS_PER_USER) / (burstMs / 1000)),
        unit: 'messages/s',
        note: `${BURST_FACTS.toLocaleString('en-US')} facts (${Math.round(BURST_FACTS / (burstMs / 1000)).toLocaleString('en-US')} facts/s) to ${SOCKETS_PER_USER} sockets each; p50/p99 ${percentile(burstSorted, 50)}/${percentile(burstSorted, 99)} ms`,
      },
      { name: 'gateway RSS idle', value: mib(rssIdle), unit: 'MiB' },
      { name: 'gateway RSS with the sockets', value: mib(rssConnected), unit: 'MiB' },
      { name: 'gateway peak RSS', value: peakRssMibOf(pid), unit: 'MiB' },
    ];
  } finally {
    sockets.forEach((socket) => socket.terminate());
    await gateway?.kill();
    await database.close();
    await removeNamespace(nc, namespace);
  }
}
