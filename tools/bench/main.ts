import { cpus, loadavg, totalmem } from 'node:os';
import { connect } from '@nats-io/transport-node';
import { ensureInfrastructure, removeNamespace, uniqueNamespace } from '@batch/testing';
import { apiBench, LOAD_HEAD } from './api.bench.js';
import { backupsBench } from './backups.bench.js';
import { cliBench } from './cli.bench.js';
import { engineBench } from './engine.bench.js';
import { eventStoreBench } from './event-store.bench.js';
import { exportsBench } from './exports.bench.js';
import { notificationsBench } from './notifications.bench.js';
import { peerBench } from './peer.bench.js';
import { providersBench } from './providers.bench.js';
import { printGrid, printTable } from './report.js';
import { storageBench } from './storage.bench.js';
import { build } from '../build/build.mjs';

/** `npm run bench`: measures on real servers (found or started like the tests') and prints tables. */
// The services run from dist/, built first (only what changed).
await build();
const infrastructure = await ensureInfrastructure();
Object.assign(process.env, infrastructure.env);
const nc = await connect({ servers: infrastructure.env.NATS_URL, name: 'bench' });
const namespace = uniqueNamespace('bench');
console.log(`bench on NATS ${infrastructure.env.NATS_URL} (${nc.info?.version}), namespace ${namespace}`);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`,
);
try {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'event-store')
    printTable('Event store (JetStream file storage)', await eventStoreBench(nc, namespace));
  let engineItemsPerSecond: number | undefined;
  if (!only || only === 'engine') {
    const figures = await engineBench(nc, namespace, infrastructure.env.NATS_URL);
    printTable('Batch engine (orchestrator + 2 workers as processes)', figures);
    engineItemsPerSecond = figures.find((figure) => figure.unit === 'items/s')?.value;
  }
  if (!only || only === 'engine' || only === 'peer') {
    const figures = await peerBench(engineItemsPerSecond);
    if (figures) {
      printTable('Peer: BullMQ on Redis (2 worker processes, the same PostgreSQL writes per item)', figures);
      const ratio = figures.find((figure) => figure.unit === '×');
      if (ratio) console.log(`\nours / BullMQ: ${ratio.value}× (${ratio.note})`);
    }
    console.log(`\nload average at the end: ${loadavg()[0]!.toFixed(2)}`);
  }
  if (!only || only === 'storage')
    printTable(
      'Storage layouts (PostgreSQL alone: a conversation and 5 turns per item, 100 per transaction, 2 connections)',
      await storageBench(),
    );
  if (!only || only === 'api') {
    // A namespace of its own: the engine section leaves a million events in the shared one.
    const { load, figures } = await apiBench(`${namespace}_api`, infrastructure.env.NATS_URL);
    printGrid(
      'REST API load (gateway + orchestrator + worker as processes; load from this process)',
      LOAD_HEAD,
      load,
    );
    printTable('REST API memory and uploads', figures);
    console.log(`\nload average at the end: ${loadavg()[0]!.toFixed(2)}`);
  }
  if (!only || only === 'cli') {
    printTable(
      'CLI start-up (gateway + orchestrator + worker as processes; each run spawned from this process)',
      await cliBench(`${namespace}_cli`, infrastructure.env.NATS_URL),
    );
    console.log(`\nload average at the end: ${loadavg()[0]!.toFixed(2)}`);
  }
  if (!only || only === 'backups') {
    printTable(
      'Backups (backup-service + gateway as processes; S3 is s3rver in this process)',
      await backupsBench(nc, namespace, infrastructure.env.NATS_URL),
    );
    console.log(`\nload average at the end: ${loadavg()[0]!.toFixed(2)}`);
  }
  if (!only || only === 'exports') {
    printTable(
      'Training-data exports (orchestrator + gateway as processes; the download read by this process)',
      await exportsBench(namespace, infrastructure.env.NATS_URL),
    );
    console.log(`\nload average at the end: ${loadavg()[0]!.toFixed(2)}`);
  }
  if (!only || only === 'notifications') {
    printTable(
      'WebSocket notifications (gateway as a process; the sockets and the facts from this process)',
      await notificationsBench(nc, namespace, infrastructure.env.NATS_URL),
    );
    console.log(`\nload average at the end: ${loadavg()[0]!.toFixed(2)}`);
  }
  if (!only || only === 'providers') {
    await providersBench(nc, namespace, infrastructure.env.NATS_URL, ({ title, head, rows, notes }) => {
      printGrid(title, head, rows);
      console.log(notes.map((note) => `\n- ${note}`).join(''));
    });
    console.log(`\nload average at the end: ${loadavg()[0]!.toFixed(2)}`);
  }
} finally {
  await removeNamespace(nc, namespace);
  await nc.close();
  await infrastructure.stop();
}
