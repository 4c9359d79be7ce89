import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import {
  BatchConfig,
  BatchEvent,
  chunkItems,
  CleanupBody,
  ConfigOverrides,
  isStorableText,
  ItemList,
  ITEMS_CHUNK_MAX_BYTES,
  MAX_CONFIG_BYTES,
  MAX_DAYS_OLD,
  MAX_ITEM_BYTES,
  MAX_JSON_DEPTH,
  MAX_SIMULATED_LATENCY_MS,
  names,
  OrchestratorCommands,
  outcomeKey,
  parse,
  storableJson,
  unstorableJsonIssues,
  utf8Bytes,
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

  it('takes a credential by the name of its environment variable, never a key', () => {
    expect(
      parse(BatchConfig, { provider: 'openai', credential: 'OPENAI_API_KEY_TEAM_B' }, 'config'),
    ).toMatchObject({
      credential: 'OPENAI_API_KEY_TEAM_B',
    });
    expect(() => parse(BatchConfig, { credential: 'sk-proj-abc123' }, 'config')).toThrow(
      /credential: the name of an environment variable/,
    );
  });

  it('refuses credentials in a config', () => {
    expect(() => parse(BatchConfig, { provider: 'openai', apiKey: 'sk-123' }, 'config')).toThrow(
      /apiKey: credentials/,
    );
  });

  it.each(['maxTokens', 'max_tokens', 'tokensPerMinute', 'tokenizer', 'author', 'keywords'])(
    'takes the setting %s, which only looks like a credential',
    (key) => {
      expect(parse(BatchConfig, { [key]: 300 }, 'config')).toMatchObject({ [key]: 300 });
    },
  );

  it.each([
    'apiKey',
    'api_key',
    'API-KEY',
    'authorization',
    'password',
    'secret',
    'token',
    'clientSecret',
    'accessToken',
  ])('refuses the credential %s', (key) => {
    expect(() => parse(BatchConfig, { [key]: 'x' }, 'config')).toThrow(`${key}: credentials`);
  });

  it('refuses a credential nested anywhere in the config, and in resume overrides', () => {
    expect(() => parse(BatchConfig, { headers: { Authorization: 'Bearer x' } }, 'config')).toThrow(
      'headers.Authorization: credentials',
    );
    expect(() => parse(ConfigOverrides, { extra: [{ api_key: 'k' }] }, 'overrides')).toThrow(
      /api_key: credentials/,
    );
  });

  it('refuses a config over MAX_CONFIG_BYTES, and a simulated latency over its bound', () => {
    expect(() => parse(BatchConfig, { note: 'n'.repeat(MAX_CONFIG_BYTES) }, 'config')).toThrow(
      `over ${MAX_CONFIG_BYTES} bytes`,
    );
    expect(() => parse(BatchConfig, { latencyMs: MAX_SIMULATED_LATENCY_MS + 1 }, 'config')).toThrow(
      /latencyMs/,
    );
  });
});

describe('text PostgreSQL can store', () => {
  it('refuses NUL and unpaired surrogates anywhere, keys included, naming the field', () => {
    const body = {
      name: 'a\u0000b',
      items: [{ id: 'x', topic: 't', parameters: { ['k\u0000']: 1, s: '\ud800' } }],
    };
    const attempt = () => parse(z.unknown(), body, 'batch');
    expect(attempt).toThrow(ValidationError);
    expect(attempt).toThrow(/name: must not contain NUL/);
    expect(attempt).toThrow(/items\[0\]\.parameters\."k\uFFFD": a key/);
    expect(attempt).toThrow(/items\[0\]\.parameters\.s: must not contain/);
  });

  it('keeps paired surrogates (emoji) and other characters', () => {
    expect(parse(z.string(), 'ok \u{1F600} \t é', 'text')).toBe('ok \u{1F600} \t é');
    expect(isStorableText('\ud83d\ude00')).toBe(true);
    expect(isStorableText('\ude00\ud83d')).toBe(false);
  });

  it('refuses nesting deeper than MAX_JSON_DEPTH without recursing through all of it', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < 5_000; level++) deep = { d: deep };
    expect(unstorableJsonIssues(deep)).toEqual([
      {
        field: Array.from({ length: MAX_JSON_DEPTH }, () => 'd').join('.'),
        message: `nested deeper than ${MAX_JSON_DEPTH} levels`,
      },
    ]);
    let shallow: unknown = 'bottom';
    for (let level = 0; level < MAX_JSON_DEPTH; level++) shallow = [shallow];
    expect(unstorableJsonIssues(shallow)).toEqual([]);
  });

  it('makes any value storable by replacing what PostgreSQL refuses', () => {
    expect(storableJson({ ['a\u0000']: ['x\u0000y', '\udc00', 3, null] })).toEqual({
      ['a\uFFFD']: ['x\uFFFDy', '\uFFFD', 3, null],
    });
  });

  it('measures UTF-8 bytes as Node does', () => {
    for (const text of ['', 'abc', 'é', '€', '\u{1F600}', '\ud800x', 'x\udc00'])
      expect(utf8Bytes(text)).toBe(Buffer.byteLength(text));
  });

  it('refuses ids with control characters and cleanups beyond a century', () => {
    expect(() => parse(OrchestratorCommands.start, { userId: 'u\u0001', batchId: 'b' }, 'start')).toThrow(
      /userId/,
    );
    expect(() => parse(ItemList, [{ id: 'i\u007f', topic: 't' }], 'items')).toThrow(/\[0\]\.id/);
    for (const days_old of [MAX_DAYS_OLD + 1, 2_147_483_648, 9_007_199_254_740_991])
      expect(() => parse(CleanupBody, { days_old }, 'cleanup')).toThrow(/days_old/);
    expect(parse(CleanupBody, { days_old: MAX_DAYS_OLD }, 'cleanup')).toEqual({ days_old: MAX_DAYS_OLD });
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

  it('reads the batch and stream back from an event subject of its namespace only', () => {
    const scoped = names('t42');
    expect(scoped.eventOf(scoped.eventSubject('b1', 'lifecycle'))).toEqual({
      batchId: 'b1',
      stream: 'lifecycle',
    });
    expect(scoped.eventOf(scoped.eventSubject('b1', 'items'))).toEqual({ batchId: 'b1', stream: 'items' });
    expect(scoped.eventOf(names().eventSubject('b1', 'items'))).toBeUndefined();
    expect(scoped.eventOf(scoped.work('b1'))).toBeUndefined();
    expect(scoped.eventOf('t42.batch.events.b1.other')).toBeUndefined();
    expect(scoped.eventOf('t42.batch.events.b1.items.more')).toBeUndefined();
  });
});
