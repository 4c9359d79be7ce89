import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync, constants } from 'node:zlib';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { isWrongLastSequence } from './errors.js';

/**
 * What a snapshot covers: the state after the commit at `seq`, and the sequence then of the last
 * commit on the aggregate's guarded channel (named for the batch's lifecycle, as stored heads are).
 */
export interface SnapshotVersion {
  seq: number;
  lifecycleSeq: number;
}

export interface StoredSnapshot<T> extends SnapshotVersion {
  state: T;
}

export interface SnapshotStore {
  /** Stores a state already serialized to JSON (taken synchronously, so no later event leaks into it). */
  save(
    aggregateId: string,
    version: SnapshotVersion,
    json: string,
  ): Promise<{ bytes: number; chunks: number }>;
  load<T>(aggregateId: string): Promise<StoredSnapshot<T> | undefined>;
  remove(aggregateId: string): Promise<void>;
}

interface Head extends SnapshotVersion {
  /** Names this save's chunks: two saves of one sequence never share (or delete) each other's. */
  id: string;
  chunks: number;
  bytes: number;
}

export interface SnapshotStoreOptions {
  bucket: string;
  replicas?: number;
  /** Bytes per KV value; a large snapshot spans several. Below the server's max payload. */
  chunkBytes?: number;
}

const headKey = (aggregateId: string) => `${aggregateId}.head`;
const chunkKey = (aggregateId: string, head: Pick<Head, 'id'>, index: number) =>
  `${aggregateId}.${head.id}.${index}`;

/**
 * Snapshots in a JetStream KV bucket, gzip-compressed JSON split over as many values as it needs.
 * Chunks are written under a fresh id first and the head last (compare-and-set), so a crash midway
 * leaves the previous snapshot intact; superseded chunks are removed afterwards.
 */
export async function createSnapshotStore(
  nc: NatsConnection,
  options: SnapshotStoreOptions,
): Promise<SnapshotStore> {
  const chunkBytes = options.chunkBytes ?? Math.min(512 * 1024, (nc.info?.max_payload ?? 1024 * 1024) - 4096);
  const kv: KV = await new Kvm(nc).create(options.bucket, {
    history: 1,
    replicas: options.replicas ?? 1,
    maxValueSize: chunkBytes + 1024,
  });

  async function readHead(aggregateId: string): Promise<{ head?: Head; revision: number }> {
    const entry = await kv.get(headKey(aggregateId));
    if (!entry) return { revision: 0 };
    return {
      head: entry.operation === 'PUT' && entry.length > 0 ? (entry.json() as Head) : undefined,
      revision: entry.revision,
    };
  }

  async function dropChunks(aggregateId: string, head: Head): Promise<void> {
    await Promise.all(
      Array.from({ length: head.chunks }, (_, index) => kv.purge(chunkKey(aggregateId, head, index))),
    );
  }

  return {
    async save(aggregateId, version, json) {
      const { head: previous, revision } = await readHead(aggregateId);
      if (previous && previous.seq >= version.seq) return { bytes: 0, chunks: 0 };
      const packed = gzipSync(json, { level: constants.Z_BEST_SPEED });
      const chunks = Math.max(1, Math.ceil(packed.length / chunkBytes));
      const head: Head = {
        ...version,
        id: `${version.seq}-${randomBytes(4).toString('hex')}`,
        chunks,
        bytes: packed.length,
      };
      await Promise.all(
        Array.from({ length: chunks }, (_, index) =>
          kv.put(
            chunkKey(aggregateId, head, index),
            packed.subarray(index * chunkBytes, (index + 1) * chunkBytes),
          ),
        ),
      );
      try {
        // Compare-and-set: a replica that saved a newer snapshot meanwhile keeps the head.
        await kv.put(headKey(aggregateId), JSON.stringify(head), { previousSeq: revision });
      } catch (error) {
        await dropChunks(aggregateId, head);
        if (isWrongLastSequence(error)) return { bytes: 0, chunks: 0 };
        throw error;
      }
      if (previous) await dropChunks(aggregateId, previous);
      return { bytes: packed.length, chunks };
    },

    async load<T>(aggregateId: string) {
      const { head } = await readHead(aggregateId);
      if (!head) return undefined;
      const parts = await Promise.all(
        Array.from({ length: head.chunks }, (_, index) => kv.get(chunkKey(aggregateId, head, index))),
      );
      if (parts.some((part) => !part || part.operation !== 'PUT')) return undefined;
      const packed = Buffer.concat(parts.map((part) => part!.value));
      const state = JSON.parse(gunzipSync(packed).toString('utf8')) as T;
      return { seq: head.seq, lifecycleSeq: head.lifecycleSeq, state };
    },

    async remove(aggregateId) {
      const { head } = await readHead(aggregateId);
      if (head) await dropChunks(aggregateId, head);
      await kv.purge(headKey(aggregateId));
    },
  };
}
