import { connect } from '@nats-io/transport-node';
import { ensureInfrastructure, removeNamespace, uniqueNamespace } from '@batch/testing';
import { engineBench } from './engine.bench.js';
import { eventStoreBench } from './event-store.bench.js';
import { printTable } from './report.js';

/** `npm run bench`: measures on real servers (found or started like the tests') and prints tables. */
const infrastructure = await ensureInfrastructure();
Object.assign(process.env, infrastructure.env);
const nc = await connect({ servers: infrastructure.env.NATS_URL, name: 'bench' });
const namespace = uniqueNamespace('bench');
console.log(`bench on NATS ${infrastructure.env.NATS_URL} (${nc.info?.version}), namespace ${namespace}`);
try {
  const only = process.env.BENCH_ONLY;
  if (!only || only === 'event-store')
    printTable('Event store (JetStream file storage)', await eventStoreBench(nc, namespace));
  if (!only || only === 'engine')
    printTable(
      'Batch engine (orchestrator + 2 workers as processes)',
      await engineBench(nc, namespace, infrastructure.env.NATS_URL),
    );
} finally {
  await removeNamespace(nc, namespace);
  await nc.close();
  await infrastructure.stop();
}
