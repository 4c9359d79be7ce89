import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { Piscina } from 'piscina';
import type { NatsConnection } from '@nats-io/transport-node';
import { NATS, SETTINGS } from '@batch/platform';
import type { GatewayConfig } from '../config/gateway.config.js';
import { ApiError, validationError } from '../http/api-error.js';
import { itemBodyMediaOf } from './item-body-media.js';
import {
  parseItemBody,
  type ItemBodyJob,
  type ItemBodyKind,
  type ParsedItemBody,
} from './parse-item-body.js';

/** Bodies up to this size are parsed on the event loop (a millisecond or two); larger ones in a worker thread. */
const INLINE_BYTES = 256 * 1024;
/** Large bodies waiting for the worker thread, at most; more are refused with a 503. */
const MAX_QUEUED = 8;

type Parsed<K extends ItemBodyKind> = Extract<ParsedItemBody, { ok: true; kind: K }>;

/**
 * Item lists (create, add items, seed 002's start) are parsed, validated and encoded for NATS off
 * the event loop when they are large: one thread, so a few huge bodies queue instead of taking all
 * the memory, and `/healthz` and everyone else's requests answer meanwhile.
 */
@Injectable()
export class ItemBodiesService implements OnApplicationShutdown {
  private readonly pool: Piscina<ItemBodyJob, ParsedItemBody>;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.pool = new Piscina({
      // Beside this module: `.ts` when run from the sources, `.js` when built.
      filename: fileURLToPath(
        new URL(`./parse-item-body.worker${extname(import.meta.url)}`, import.meta.url),
      ),
      minThreads: 0,
      maxThreads: 1,
      maxQueue: MAX_QUEUED,
      idleTimeout: 60_000,
      // A body of MAX_BODY_BYTES becomes several times its size as objects.
      resourceLimits: {
        maxOldGenerationSizeMb: Math.max(512, Math.ceil((config.MAX_BODY_BYTES * 12) / 2 ** 20)),
      },
    });
  }

  /** `contentType` says how the body is written: JSON, or JSON Lines and CSV for add items. */
  async parse<K extends ItemBodyKind>(
    kind: K,
    body: unknown,
    owner: { userId: string; batchId: string },
    contentType?: string,
  ): Promise<Parsed<K>> {
    const bytes = Buffer.isBuffer(body) ? body : new Uint8Array();
    const job: ItemBodyJob = {
      kind,
      media: itemBodyMediaOf(kind, contentType),
      body: bytes,
      ...owner,
      maxPayload: this.nc.info?.max_payload ?? 1024 * 1024,
    };
    const parsed = bytes.length <= INLINE_BYTES ? await parseItemBody(job) : await this.inWorker(job);
    if (parsed.ok) return parsed as Parsed<K>;
    switch (parsed.error) {
      case 'syntax':
        throw new ApiError('bad_request', parsed.message);
      case 'validation':
        throw validationError(parsed.what, parsed.issues);
      case 'line':
        throw new ApiError('validation', `line ${parsed.line}: ${parsed.reason}`, [
          { field: `line ${parsed.line}`, message: parsed.reason },
        ]);
      default: {
        const unhandled: never = parsed;
        throw new Error(`unhandled item body failure ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private async inWorker(job: ItemBodyJob): Promise<ParsedItemBody> {
    const owned = job.body.byteOffset === 0 && job.body.byteLength === job.body.buffer.byteLength;
    try {
      return await this.pool.run(job, owned ? { transferList: [job.body.buffer as ArrayBuffer] } : {});
    } catch (error) {
      if ((error as Error).message.includes('Task queue is at limit'))
        throw new ApiError('unavailable', 'too many large bodies are being read; try again shortly');
      if ((error as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY')
        throw new ApiError('payload_too_large', 'the body is too large to read; send its items in chunks');
      throw error;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.destroy();
  }
}
