import { afterAll, describe, expect, it } from '@jest/globals';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { ensureInfrastructure } from './infrastructure.js';
import { onPath, startNatsServer } from './local-servers.js';
import { testBucket } from './test-bucket.js';
import { testDatabase } from './test-database.js';
import { testNats } from './test-nats.js';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('test infrastructure', () => {
  it('takes URLs from the environment first', async () => {
    const infrastructure = await ensureInfrastructure({
      NATS_URL: 'nats://nats.example:4222',
      DATABASE_URL: 'postgres://db.example/x',
      S3_ENDPOINT: 'http://s3.example:9000',
      S3_ACCESS_KEY: 'a',
      S3_SECRET_KEY: 'b',
    });
    expect(infrastructure.sources).toEqual({ nats: 'env', postgres: 'env', s3: 'env' });
    expect(infrastructure.env.NATS_URL).toBe('nats://nats.example:4222');
    await infrastructure.stop();
  });

  it('starts a nats-server binary with JetStream on a free port when needed', async () => {
    const binary = onPath('nats-server');
    expect(binary).toBeDefined();
    const server = await startNatsServer(binary!);
    closers.push(server.stop);
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PROBE', subjects: ['probe.>'] });
    expect((await jsm.streams.info('PROBE')).config.name).toBe('PROBE');
    await nc.close();
  });

  it('gives each run its own NATS namespace and removes its streams after', async () => {
    const nats = await testNats();
    const jsm = await jetstreamManager(nats.nc);
    await jsm.streams.add({ name: nats.names.eventsStream, subjects: [nats.names.allEvents] });
    const observer = await connect({ servers: nats.url });
    await nats.close();
    const remaining: string[] = [];
    for await (const name of (await jetstreamManager(observer)).streams.names()) remaining.push(name);
    expect(remaining).not.toContain(nats.names.eventsStream);
    await observer.close();
  });

  it('gives each run its own database schema and drops it after', async () => {
    const database = await testDatabase();
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(`CREATE TABLE "${database.schema}".probe (id int)`);
    await database.close();
    const { rows } = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [
      database.schema,
    ]);
    expect(rows).toHaveLength(0);
    await client.end();
  });

  it("gives each run its own S3 bucket and removes it after (the run's own s3rver goes whole at its end)", async () => {
    const bucket = await testBucket();
    await bucket.client.putObject(bucket.bucket, 'probe.txt', Buffer.from('hello'));
    const body = await bucket.client.getObject(bucket.bucket, 'probe.txt');
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('hello');
    await bucket.close();
    expect(await bucket.client.bucketExists(bucket.bucket)).toBe(process.env.TEST_S3_EPHEMERAL === 'true');
  });
});
