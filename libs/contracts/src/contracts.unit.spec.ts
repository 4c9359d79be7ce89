import { describe, expect, it } from '@jest/globals';
import {
  BatchConfig,
  BatchEvent,
  chunkItems,
  ItemList,
  ITEMS_CHUNK_MAX_BYTES,
  MAX_ITEM_BYTES,
  names,
  OrchestratorCommands,
  outcomeKey,
  parse,
  ValidationError,
  type ItemSpec,
} from './index.js';

const NATS_DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const at = '2026-11-23T10:00:00.000Z';

describe('parsing at the edge', () => {
  it('names the failing field of a nested value', () => {
    const attempt = () =>
      parse(
        OrchestratorCommands.create,
        { userId: 'u1', items: [{ id: 'a', topic: 'x' }, { id: 'b' }] },
        'create request',
      );
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(/items\[1\]\.topic/);
  });

  it('names a duplicated item id', () => {
    expect(() =>
      parse(
        ItemList,
        [
          { id: 'a', topic: 'x' },
          { id: 'a', topic: 'y' },
        ],
        'items',
      ),
    ).toThrow(/\[1\]\.id: duplicate item id a/);
  });

  it('rejects an event whose payload does not match its type', () => {
    const event = {
      eventId: 'e1',
      batchId: 'b1',
      occurredAt: at,
      schemaVersion: 1,
      type: 'ItemCompleted',
      data: { itemId: 'i1' },
    };
    expect(() => parse(BatchEvent, event, 'event')).toThrow(/data\.conversationId/);
  });

  it('accepts a well-formed outcome and gives its idempotency key', () => {
    const event = parse(
      BatchEvent,
      {
        eventId: 'e1',
        batchId: 'b1',
        occurredAt: at,
        schemaVersion: 1,
        type: 'ItemCompleted',
        data: { itemId: 'i1', conversationId: 'c1', attempt: 2, durationMs: 12 },
      },
      'event',
    );
    expect(event.type === 'ItemCompleted' && outcomeKey(event)).toBe('b1/i1/2/completed');
  });

  it('refuses a batch id that would break a subject', () => {
    expect(() => parse(OrchestratorCommands.start, { userId: 'u', batchId: 'a.b' }, 'start')).toThrow(
      /batchId/,
    );
  });
});

describe('batch config', () => {
  it('keeps the seeds’ unknown keys and defaults the provider', () => {
    expect(parse(BatchConfig, { preset: 'WhiteLayer_v4', blend: 60 }, 'config')).toEqual({
      provider: 'template',
      preset: 'WhiteLayer_v4',
      blend: 60,
    });
  });

  it('refuses credentials in a config', () => {
    expect(() => parse(BatchConfig, { provider: 'openai', apiKey: 'sk-123' }, 'config')).toThrow(
      /apiKey: credentials/,
    );
  });
});

describe('chunking items for ItemsAdded', () => {
  const envelopeBytes = 400;

  it('keeps every chunk of a 1,000,000-item batch under the NATS max payload, in order, losing none', () => {
    const items: ItemSpec[] = Array.from({ length: 1_000_000 }, (_, index) => ({
      id: `item-${index}`,
      topic: `topic number ${index}`,
      parameters: index % 10 === 0 ? { persona: 'expert', depth: index % 7 } : undefined,
    }));
    const chunks = chunkItems(items);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks)
      expect(Buffer.byteLength(JSON.stringify({ items: chunk })) + envelopeBytes).toBeLessThan(
        NATS_DEFAULT_MAX_PAYLOAD,
      );
    const rejoined = chunks.flat();
    expect(rejoined).toHaveLength(items.length);
    expect(rejoined.every((item, index) => item === items[index])).toBe(true);
  });

  it('keeps chunks under the budget when every item is as large as allowed', () => {
    const topic = 'x'.repeat(4000);
    const parameters = { blob: 'y'.repeat(MAX_ITEM_BYTES - 4200) };
    const items: ItemSpec[] = Array.from({ length: 100 }, (_, index) => ({
      id: `big-${index}`,
      topic,
      parameters,
    }));
    const chunks = chunkItems(items);
    for (const chunk of chunks)
      expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThanOrEqual(ITEMS_CHUNK_MAX_BYTES);
    expect(chunks.flat()).toHaveLength(100);
  });

  it('refuses an item larger than the chunk itself', () => {
    expect(() => chunkItems([{ id: 'huge', topic: 'z'.repeat(2000) }], 1000)).toThrow(
      /"id":"huge".* over the 1000-byte chunk/,
    );
  });
});

describe('names', () => {
  it('uses the contract names without a namespace', () => {
    const plain = names();
    expect(plain.eventSubject('b1', 'lifecycle')).toBe('batch.events.b1.lifecycle');
    expect(plain.batchEvents('b1')).toBe('batch.events.b1.>');
    expect(plain.work('b1')).toBe('batch.work.b1');
    expect(plain.eventsStream).toBe('BATCH_EVENTS');
  });

  it('prefixes every name in a namespace', () => {
    const scoped = names('t42');
    expect(scoped.eventSubject('b1', 'items')).toBe('t42.batch.events.b1.items');
    expect(scoped.workStream).toBe('t42_BATCH_WORK');
    expect(scoped.command('pause')).toBe('t42.batch.cmd.pause');
  });
});
