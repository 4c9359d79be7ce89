import { connect } from '@nats-io/transport-node';
import { ensureInfrastructure, removeNamespace, uniqueNamespace } from '@batch/testing';
import { eventStoreBench } from './event-store.bench.js';
import { printTable } from './report.js';

/** `npm run bench`: measures on real servers (found or started like the tests') and prints tables. */
const infrastructure = await ensureInfrastructure();
const nc = await connect({ servers: infrastructure.env.NATS_URL, name: 'bench' });
const namespace = uniqueNamespace('bench');
console.log(`bench on NATS ${infrastructure.env.NATS_URL} (${nc.info?.version}), namespace ${namespace}`);
try {
  printTable('Event store (JetStream file storage)', await eventStoreBench(nc, namespace));
} finally {
  await removeNamespace(nc, namespace);
  await nc.close();
  await infrastructure.stop();
}
