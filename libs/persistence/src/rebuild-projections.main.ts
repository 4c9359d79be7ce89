// Rebuilds the batch read models from the event log: `npm run projections:rebuild`.
import { connect } from '@nats-io/transport-node';
import { z } from 'zod';
import { names, parse } from '@batch/contracts';
import { createDataSource, runMigrations } from './data-source.factory.js';
import { rebuildProjections } from './projection/rebuild-projections.js';

const Environment = z.object({
  DATABASE_URL: z.string().min(1).default('postgres://postgres@127.0.0.1:5432/postgres'),
  DATABASE_SCHEMA: z.string().min(1).default('public'),
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  NATS_NAMESPACE: z.string().default(''),
});

async function main(): Promise<void> {
  const env = parse(Environment, process.env, 'environment');
  const nc = await connect({ servers: env.NATS_URL, name: 'projections-rebuild' });
  const ds = await createDataSource({ url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA });
  try {
    await runMigrations(ds);
    const started = performance.now();
    const rebuilt = await rebuildProjections({ ds, nc, names: names(env.NATS_NAMESPACE) });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `rebuilt batches and batch_items up to sequence ${rebuilt.lastSeq}: ` +
        `${rebuilt.events} events in ${rebuilt.messages} messages, ${seconds.toFixed(1)} s`,
    );
  } finally {
    await ds.destroy();
    await nc.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
