import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Client, S3Error } from 'minio';
import type { Logger } from '@batch/platform';
import type { BackupConfig } from '../config/backup.config.js';

export const OBJECT_STORE = Symbol('OBJECT_STORE');

/** The bucket backups live in: uploads in parts, presigned URLs, and what a stored object hashes to. */
export interface ObjectStore {
  readonly bucket: string;
  /** Uploads a stream of unknown length in parts of S3_PART_SIZE_MB: memory is two parts, whatever the size. */
  put(key: string, body: Readable, contentType: string): Promise<void>;
  open(key: string): Promise<Readable>;
  /** The sha256 (hex) and size of the stored object, read back from the store. */
  digest(key: string): Promise<{ sha256: string; sizeBytes: number }>;
  /** Removes the object; a missing object is no error. */
  remove(key: string): Promise<void>;
  /** A URL that reads (GET) or writes (PUT) the object without credentials, for `seconds`. */
  presign(method: 'GET' | 'PUT', key: string, seconds: number): Promise<string>;
}

export function s3Client(config: BackupConfig): Client {
  const url = new URL(config.S3_ENDPOINT);
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
    useSSL: url.protocol === 'https:',
    accessKey: config.S3_ACCESS_KEY,
    secretKey: config.S3_SECRET_KEY,
    region: config.S3_REGION,
    pathStyle: true,
  });
}

const isMissing = (error: unknown) =>
  error instanceof S3Error && (error.code === 'NoSuchKey' || error.code === 'NotFound');

/** The stream cut into parts of `size` bytes (the last may be smaller; an empty stream is one empty part). */
async function* partsOf(body: Readable, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let yielded = false;
  for await (const chunk of body) {
    held.push(chunk as Buffer);
    heldBytes += (chunk as Buffer).length;
    if (heldBytes >= size) {
      const joined = Buffer.concat(held, heldBytes);
      for (let start = 0; start + size <= joined.length; start += size) {
        yield joined.subarray(start, start + size);
        yielded = true;
      }
      const rest = joined.subarray(joined.length - (joined.length % size));
      held = rest.length > 0 ? [rest] : [];
      heldBytes = rest.length;
    }
  }
  if (heldBytes > 0 || !yielded) yield Buffer.concat(held, heldBytes);
}

export function createObjectStore(client: Client, bucket: string, partSize: number): ObjectStore {
  return {
    bucket,
    /**
     * A multipart upload of our own (minio's putObject first lists unfinished uploads, which
     * s3rver does not implement): one part uploading while the next fills, so memory is two
     * parts; aborted on any failure, so nothing half-written stays behind.
     */
    put: async (key, body, contentType) => {
      const uploadId = await client.initiateNewMultipartUpload(bucket, key, { 'Content-Type': contentType });
      const etags: { part: number; etag: string }[] = [];
      let uploading: Promise<void> | undefined;
      try {
        let part = 0;
        for await (const bytes of partsOf(body, partSize)) {
          await uploading;
          const partNumber = ++part;
          uploading = client
            .uploadPart(
              { bucketName: bucket, objectName: key, uploadID: uploadId, partNumber, headers: {} },
              bytes,
            )
            .then(({ etag }) => void etags.push({ part: partNumber, etag }));
          // Its failure is awaited before the next part; meanwhile it must not go unhandled.
          uploading.catch(() => undefined);
        }
        await uploading;
        await client.completeMultipartUpload(bucket, key, uploadId, etags);
      } catch (error) {
        await uploading?.catch(() => undefined);
        await client.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
        throw error;
      }
    },
    open: (key) => client.getObject(bucket, key),
    digest: async (key) => {
      const hash = createHash('sha256');
      let sizeBytes = 0;
      for await (const chunk of await client.getObject(bucket, key)) {
        hash.update(chunk as Buffer);
        sizeBytes += (chunk as Buffer).length;
      }
      return { sha256: hash.digest('hex'), sizeBytes };
    },
    remove: async (key) => {
      await client.removeObject(bucket, key).catch((error: unknown) => {
        if (!isMissing(error)) throw error;
      });
    },
    presign: (method, key, seconds) =>
      method === 'GET'
        ? client.presignedGetObject(bucket, key, seconds)
        : client.presignedPutObject(bucket, key, seconds),
  };
}

/**
 * Creates the bucket when missing and gives it a lifecycle rule expiring backups after the
 * retention (MinIO and AWS enforce it). A store without lifecycle support (s3rver) is told once in
 * the log: the sweeper expires backups there.
 */
export async function prepareBucket(
  client: Client,
  config: BackupConfig,
  logger: Logger,
  prefix: string,
): Promise<void> {
  const bucket = config.S3_BUCKET;
  if (!(await client.bucketExists(bucket))) await client.makeBucket(bucket, config.S3_REGION);
  try {
    await client.setBucketLifecycle(bucket, {
      Rule: [
        {
          ID: 'expire-backups',
          Status: 'Enabled',
          Filter: { Prefix: prefix },
          Expiration: { Days: config.BACKUP_RETENTION_DAYS },
        },
      ],
    });
  } catch (error) {
    logger.info(
      { bucket, reason: (error as Error).message },
      'the store keeps no lifecycle rule: the sweeper alone expires backups',
    );
  }
}
