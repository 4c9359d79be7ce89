import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAX_ITEM_BYTES, type ItemSpec } from '@batch/contracts';
import { csvItems, formatOf, ItemsFileError, jsonlItems, openItemsFile } from './items-file.js';

/** The heap still in use after a full collection: what the code under test actually holds. */
const retainedHeap = (() => {
  setFlagsFromString('--expose-gc');
  const collectGarbage = runInNewContext('gc') as () => void;
  return () => {
    collectGarbage();
    return process.memoryUsage().heapUsed;
  };
})();

const collect = async (items: AsyncIterable<ItemSpec>) => {
  const all: ItemSpec[] = [];
  for await (const item of items) all.push(item);
  return all;
};

/** The text arrives in pieces cut mid-line, as a file stream may deliver it. */
const input = (text: string, pieceLength = 7) =>
  Readable.from(
    Array.from({ length: Math.ceil(text.length / pieceLength) }, (_, i) =>
      text.slice(i * pieceLength, (i + 1) * pieceLength),
    ),
  );

const jsonl = (text: string) => collect(jsonlItems(input(text), 'items.jsonl'));
const csv = (text: string) => collect(csvItems(input(text), 'items.csv'));

const failure = async (reading: Promise<unknown>): Promise<ItemsFileError> => {
  const error = await reading.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ItemsFileError)) throw new Error(`expected an ItemsFileError, got ${String(error)}`);
  return error;
};

describe('a JSONL items file', () => {
  it('reads one item per line, with its parameters', async () => {
    expect(
      await jsonl('{"id":"a","topic":"first"}\n{"id":"b","topic":"second","parameters":{"tone":"dry"}}\n'),
    ).toEqual([
      { id: 'a', topic: 'first' },
      { id: 'b', topic: 'second', parameters: { tone: 'dry' } },
    ]);
  });

  it('gives an item without id its 1-based line number, blank lines counted', async () => {
    expect(await jsonl('{"topic":"one"}\n\n{"topic":"three"}\r\n{"id":42,"topic":"four"}')).toEqual([
      { id: '1', topic: 'one' },
      { id: '3', topic: 'three' },
      { id: '42', topic: 'four' },
    ]);
  });

  it.each([
    ['not JSON', '{"topic":"ok"}\n{"topic":\n', 2, /not JSON/],
    ['not an object', '{"topic":"ok"}\n["a"]\n', 2, /expected an object/],
    ['an unknown field', '{"topic":"ok"}\n\n{"topic":"x","parameter":{}}\n', 3, /unknown field "parameter"/],
    ['no topic', '{"id":"a"}\n', 1, /topic/],
    ['an empty topic', '{"topic":"ok"}\n{"topic":""}\n', 2, /topic: Too small/],
    ['an id with a slash', '{"id":"a/b","topic":"x"}\n', 1, /id: must not contain/],
    ['parameters that are not an object', '{"topic":"x","parameters":[1]}\n', 1, /parameters/],
    [
      'an item over the size limit',
      `{"topic":"x","parameters":{"p":"${'x'.repeat(MAX_ITEM_BYTES)}"}}\n`,
      1,
      /over 65536 bytes/,
    ],
  ])('stops at a line with %s, naming the line', async (_case, text, line, reason) => {
    const error = await failure(jsonl(text));
    expect(error.line).toBe(line);
    expect(error.message).toMatch(new RegExp(`^items\\.jsonl:${line}: `));
    expect(error.message).toMatch(reason);
  });

  it('yields the items before a bad line, then stops', async () => {
    const seen: string[] = [];
    const reading = (async () => {
      for await (const item of jsonlItems(
        input('{"topic":"a"}\n{"topic":"b"}\nnope\n{"topic":"d"}\n'),
        'f.jsonl',
      ))
        seen.push(item.id);
    })();
    expect((await failure(reading)).line).toBe(3);
    expect(seen).toEqual(['1', '2']);
  });
});

describe('a CSV items file', () => {
  it('makes every column besides id and topic a parameter', async () => {
    expect(await csv('id,topic,persona,tone\na,first,pirate,dry\nb,second,poet,warm\n')).toEqual([
      { id: 'a', topic: 'first', parameters: { persona: 'pirate', tone: 'dry' } },
      { id: 'b', topic: 'second', parameters: { persona: 'poet', tone: 'warm' } },
    ]);
  });

  it('gives a row without id its line number (the header is line 1); an empty cell is no parameter', async () => {
    expect(await csv('id,topic,persona\n,first,\n7,second,poet\n\n,fourth,\n')).toEqual([
      { id: '2', topic: 'first' },
      { id: '7', topic: 'second', parameters: { persona: 'poet' } },
      { id: '5', topic: 'fourth' },
    ]);
  });

  it('takes rows without an id column, quoted commas and newlines, and a byte order mark', async () => {
    expect(await csv('\uFEFFtopic,note\n"a, b","say ""hi""\nthere"\nc,\n')).toEqual([
      { id: '2', topic: 'a, b', parameters: { note: 'say "hi"\nthere' } },
      { id: '4', topic: 'c' },
    ]);
  });

  it.each([
    ['no topic column', 'id,subject\n1,x\n', 1, /needs a "topic" column/],
    ['a repeated column', 'topic,tone,tone\nx,a,b\n', 1, /"tone" appears twice/],
    ['an empty topic', 'id,topic\na,x\nb,\n', 3, /topic/],
    ['a row with too few cells', 'id,topic,tone\na,x,dry\nb,y\n', 3, /Invalid Record Length/],
    ['an unclosed quote', 'id,topic\na,x\nb,"y\n', 3, /Quote Not Closed/i],
    ['no header at all', '', 1, /empty file/],
  ])('stops at %s, naming the line', async (_case, text, line, reason) => {
    const error = await failure(csv(text));
    expect(error.line).toBe(line);
    expect(error.message).toMatch(new RegExp(`^items\\.csv:${line}: `));
    expect(error.message).toMatch(reason);
  });
});

describe('an items file on disk', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'batchctl-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('knows its format by extension', () => {
    expect(formatOf('a.jsonl')).toBe('jsonl');
    expect(formatOf('a.NDJSON')).toBe('jsonl');
    expect(formatOf('a.csv')).toBe('csv');
    expect(() => formatOf('a.json')).toThrow(/expected a \.jsonl, \.ndjson or \.csv file/);
  });

  // A full garbage collection every 250,000 lines: slow in a Jest worker that has run many files
  // (CI's worker held 1.7 GB when it passed the default 60 s), hence a longer timeout.
  it('streams a 1,000,000-line file, holding only the current line', async () => {
    const lines = 1_000_000;
    const path = join(directory, 'million.jsonl');
    await pipeline(
      Readable.from(
        (function* () {
          for (let line = 1; line <= lines; line += 1) yield `{"topic":"topic number ${line}"}\n`;
        })(),
      ),
      createWriteStream(path),
    );
    const heapBefore = retainedHeap();
    let peakGrowth = 0;
    let count = 0;
    let last: ItemSpec | undefined;
    const file = await openItemsFile(path);
    for await (const item of file.items) {
      count += 1;
      last = item;
      if (count % 250_000 === 0) peakGrowth = Math.max(peakGrowth, retainedHeap() - heapBefore);
    }
    expect(count).toBe(lines);
    expect(last).toEqual({ id: String(lines), topic: `topic number ${lines}` });
    expect(file.bytesRead()).toBe(file.size);
    // The file is ~32 MB, its items over 100 MB as objects: what the reader keeps is far less.
    expect(peakGrowth).toBeLessThan(16 * 1024 * 1024);
  }, 240_000);

  it('reads a CSV file', async () => {
    const path = join(directory, 'items.csv');
    await writeFile(path, 'id,topic\na,x\n');
    expect(await collect((await openItemsFile(path)).items)).toEqual([{ id: 'a', topic: 'x' }]);
  });
});
