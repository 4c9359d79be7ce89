// A projector in a process of its own, for the crash test: prints each sequence it has committed.
import { connect } from '@nats-io/transport-node';
import { names } from '@batch/contracts';
import { createDataSource } from '../data-source.factory.js';
import { createBatchProjector } from './batch.projector.js';

const { NATS_URL, DATABASE_URL, DATABASE_SCHEMA, NATS_NAMESPACE, BATCH_SIZE } = process.env;
const nc = await connect({ servers: NATS_URL });
const ds = await createDataSource({ url: DATABASE_URL!, schema: DATABASE_SCHEMA });
const projector = createBatchProjector({
  ds,
  nc,
  names: names(NATS_NAMESPACE),
  batchSize: Number(BATCH_SIZE),
  onApplied: ({ seq }) => process.stdout.write(`applied ${seq}\n`),
});
await projector.start();
