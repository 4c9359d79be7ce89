import { Client } from 'minio';
import { uniqueNamespace } from './namespace.js';

export interface TestBucket {
  client: Client;
  bucket: string;
  endpoint: string;
  /** Empties and removes the bucket (on an S3 of the environment; see below). */
  close(): Promise<void>;
}

export function s3Client(endpoint: string, accessKey: string, secretKey: string): Client {
  const url = new URL(endpoint);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    useSSL: url.protocol === 'https:',
    accessKey,
    secretKey,
    pathStyle: true,
  });
}

export async function testBucket(): Promise<TestBucket> {
  const endpoint = process.env.S3_ENDPOINT;
  if (!endpoint)
    throw new Error('S3_ENDPOINT is not set: run tests through jest (its global setup finds S3)');
  const client = s3Client(endpoint, process.env.S3_ACCESS_KEY ?? '', process.env.S3_SECRET_KEY ?? '');
  const bucket = uniqueNamespace('t-');
  await client.makeBucket(bucket);
  return {
    client,
    bucket,
    endpoint,
    /**
     * On the run's own s3rver the bucket is left as it is (the run's end removes s3rver's whole
     * directory): an upload cut short by a SIGKILLed service can leave s3rver listing an object whose
     * file it never wrote, and deleting it throws ENOENT inside s3rver, in the test's process.
     */
    close: async () => {
      if (process.env.TEST_S3_EPHEMERAL === 'true') return;
      const keys: string[] = [];
      for await (const object of client.listObjectsV2(bucket, '', true))
        if (object.name) keys.push(object.name);
      if (keys.length > 0) await client.removeObjects(bucket, keys);
      await client.removeBucket(bucket);
    },
  };
}
