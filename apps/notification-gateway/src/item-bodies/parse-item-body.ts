import { Readable } from 'node:stream';
import {
  AddItemsBody,
  chunkItems,
  CreateBatchBody,
  jsonBytes,
  MAX_ITEMS_PER_REQUEST,
  SeedStartBody,
  validate,
  type BatchConfig,
  type FieldIssue,
  type ItemSpec,
} from '@batch/contracts';
import { ItemsFileError, readItems, type ItemsFormat } from '@batch/item-files';
import type { ItemBodyMedia } from './item-body-media.js';

/** Text bodies are fed to the line parsers in pieces of this size, as a file stream would be. */
const PIECE_BYTES = 64 * 1024;

/** Room in one NATS request for its headers and the JSON around the request's fields. */
const HEADROOM_BYTES = 4 * 1024;

/** The bodies that carry item lists, and may be tens of megabytes. */
export type ItemBodyKind = 'create' | 'add-items' | 'seed-start';

export interface ItemBodyJob {
  kind: ItemBodyKind;
  /** JSON Lines and CSV only for add items (see itemBodyMediaOf). */
  media: ItemBodyMedia;
  body: Uint8Array;
  userId: string;
  /** The batch the items go to (a new one's id is chosen before its body is read). */
  batchId: string;
  /** The NATS server's max payload: each encoded chunk fits in one request beside its fields. */
  maxPayload: number;
}

/** Items as the orchestrator's requests carry them: JSON arrays, each fitting one request. */
export interface EncodedItems {
  count: number;
  chunks: Uint8Array[];
}

export interface NewBatchFields {
  name?: string;
  config?: BatchConfig;
  autoStart: boolean;
}

export type ParsedItemBody =
  | ({ ok: true; kind: 'create' } & NewBatchFields & EncodedItems)
  | ({ ok: true; kind: 'add-items' } & EncodedItems)
  | ({ ok: true; kind: 'seed-start'; config: BatchConfig } & EncodedItems)
  | { ok: false; error: 'syntax'; message: string }
  | { ok: false; error: 'validation'; what: string; issues: FieldIssue[] }
  /** A JSON Lines or CSV line that is not an item; `line` is 1-based. */
  | { ok: false; error: 'line'; line: number; reason: string };

/** The fields of the orchestrator's `create` request besides its first chunk of items. */
export const createFields = (userId: string, batchId: string, batch: NewBatchFields, totalItems: number) => ({
  userId,
  batchId,
  ...(batch.name === undefined ? {} : { name: batch.name }),
  totalItems,
  ...(batch.config === undefined ? {} : { config: batch.config }),
  autoStart: batch.autoStart,
});

const encoder = new TextEncoder();

function encode(items: ItemSpec[], otherFields: Record<string, unknown>, maxPayload: number): EncodedItems {
  const chunks = chunkItems(items, maxPayload - jsonBytes(otherFields) - HEADROOM_BYTES);
  return { count: items.length, chunks: chunks.map((chunk) => encoder.encode(JSON.stringify(chunk))) };
}

const invalid = (what: string, issues: FieldIssue[]): ParsedItemBody => ({
  ok: false,
  error: 'validation',
  what,
  issues,
});

/**
 * Parses, validates and encodes a body of items in one go, with no I/O: it runs in a worker thread
 * for large bodies, so that a 60 MB request never holds up the gateway's other requests.
 */
export async function parseItemBody(job: ItemBodyJob): Promise<ParsedItemBody> {
  return job.kind === 'add-items' && job.media !== 'json' ? parseLines(job, job.media) : parseJson(job);
}

/**
 * JSON Lines or CSV, by batchctl's rules (the same code): items without an id get their line
 * number. The items then meet the same list rules as a JSON `{items}` (count, unique ids).
 */
async function parseLines(
  { body, userId, batchId, maxPayload }: ItemBodyJob,
  format: ItemsFormat,
): Promise<ParsedItemBody> {
  const input = Readable.from(piecesOf(body), { objectMode: false });
  const items: ItemSpec[] = [];
  try {
    for await (const item of readItems(input, format, 'body')) {
      // One more than a request may hold already fails the list: the rest of the body is not parsed.
      if (items.push(item) > MAX_ITEMS_PER_REQUEST) break;
    }
  } catch (error) {
    if (error instanceof ItemsFileError)
      return { ok: false, error: 'line', line: error.line, reason: error.reason };
    throw error;
  }
  const parsed = validate(AddItemsBody, { items });
  if (!parsed.success) return invalid('items', parsed.issues);
  return { ok: true, kind: 'add-items', ...encode(parsed.data.items, { userId, batchId }, maxPayload) };
}

/** Views of the body, not copies. */
function* piecesOf(bytes: Uint8Array): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += PIECE_BYTES)
    yield Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.min(PIECE_BYTES, bytes.length - start));
}

function parseJson({ kind, body, userId, batchId, maxPayload }: ItemBodyJob): ParsedItemBody {
  let json: unknown;
  try {
    json = body.length === 0 ? {} : JSON.parse(new TextDecoder().decode(body));
  } catch (error) {
    return { ok: false, error: 'syntax', message: `the body is not JSON: ${(error as Error).message}` };
  }
  switch (kind) {
    case 'create': {
      const parsed = validate(CreateBatchBody, json);
      if (!parsed.success) return invalid('batch', parsed.issues);
      const { items, ...batch } = parsed.data;
      if (batch.autoStart && items.length === 0)
        return invalid('batch', [
          { field: 'items', message: 'give at least one item, or autoStart: false and add items later' },
        ]);
      return {
        ok: true,
        kind,
        ...batch,
        ...encode(items, createFields(userId, batchId, batch, items.length), maxPayload),
      };
    }
    case 'add-items': {
      const parsed = validate(AddItemsBody, json);
      if (!parsed.success) return invalid('items', parsed.issues);
      return { ok: true, kind, ...encode(parsed.data.items, { userId, batchId }, maxPayload) };
    }
    case 'seed-start': {
      const parsed = validate(SeedStartBody, json);
      if (!parsed.success) return invalid('batch', parsed.issues);
      const request = parsed.data;
      const [idKind, ids] = request.photo_ids
        ? ['photo', request.photo_ids]
        : ['item', request.item_ids ?? []];
      const sessionId = request.session_id ?? undefined;
      const config: BatchConfig = {
        provider: 'template',
        ...request.config,
        ...(sessionId === undefined ? {} : { session_id: sessionId }),
      };
      const items = ids.map((id) => ({ id: String(id), topic: `${idKind} ${id}` }));
      return {
        ok: true,
        kind,
        config,
        ...encode(
          items,
          createFields(userId, batchId, { config, autoStart: true }, items.length),
          maxPayload,
        ),
      };
    }
    default: {
      const unhandled: never = kind;
      throw new Error(`unhandled item body ${String(unhandled)}`);
    }
  }
}
