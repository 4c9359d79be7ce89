import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './network.js';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export const onPath = (binary: string): string | undefined =>
  (process.env.PATH ?? '')
    .split(delimiter)
    .concat(['/usr/sbin', '/usr/local/sbin'])
    .map((dir) => join(dir, binary))
    .find((candidate) => existsSync(candidate));

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Starts `nats-server` with JetStream on a free port and a temporary store; resolves once it is ready. */
export async function startNatsServer(binary: string): Promise<RunningServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'nats-js-'));
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes('Server is ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${log.slice(-500)}`)));
  });
  child.stderr!.resume();
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      await stopChild(child);
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
}

/**
 * Runs s3rver in this process (the test run's and `npm start`'s local S3). Its delete removes a
 * key's directories once they are empty, while its put creates them and only then opens the file:
 * a delete between the two failed the put's file stream with ENOENT, unhandled, which threw in this
 * process. Here a delete removes the object's files only; an empty directory lists nothing.
 */
export async function runS3rver(options: {
  address: string;
  port: number;
  directory: string;
}): Promise<InstanceType<typeof import('s3rver')>> {
  const { default: S3rver } = await import('s3rver');
  const server = new S3rver({ ...options, silent: true });
  const { store } = server as unknown as { store: S3rverStore };
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        rm(store.getResourcePath(bucket, key, resource), { force: true }),
      ),
    );
  };
  await server.run();
  return server;
}

/** Starts s3rver in this process on a free port with a temporary directory. */
export async function startS3rver(): Promise<RunningServer & { accessKey: string; secretKey: string }> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const port = await freePort();
  const server = await runS3rver({ address: '127.0.0.1', port, directory });
  return {
    url: `http://127.0.0.1:${port}`,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    stop: async () => {
      const closed = server.close();
      // Node's close() goes on serving requests on open keep-alive connections until they idle out:
      // a stopped S3 must refuse at once. (s3rver's types omit its http server.)
      (server as unknown as { httpServer: Server }).httpServer.closeAllConnections();
      await closed;
      await rm(directory, { recursive: true, force: true });
    },
  };
}
