import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { ItemSpec } from '@batch/contracts';
import { ItemsFileError, readItems, type ItemsFormat } from './index.js';

/** Bytes in pieces of `size`, cut anywhere (inside a multi-byte character too), as a socket delivers them. */
const bytesIn = (text: string, size: number) => {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) pieces.push(bytes.subarray(start, start + size));
  return Readable.from(pieces, { objectMode: false });
};

const read = async (format: ItemsFormat, text: string, size = 5) => {
  const items: ItemSpec[] = [];
  for await (const item of readItems(bytesIn(text, size), format, 'body')) items.push(item);
  return items;
};

describe('items read from bytes', () => {
  it('reads CSV cut inside multi-byte characters and quoted cells', async () => {
    expect(await read('csv', 'topic,tone\n"a, b\nc",sèche\nété,\n')).toEqual([
      { id: '2', topic: 'a, b\nc', parameters: { tone: 'sèche' } },
      { id: '4', topic: 'été' },
    ]);
  });

  it('reads JSON Lines cut inside multi-byte characters', async () => {
    expect(await read('jsonl', '{"topic":"naïve"}\r\n\n{"id":"x","topic":"ünïcode"}', 3)).toEqual([
      { id: '1', topic: 'naïve' },
      { id: 'x', topic: 'ünïcode' },
    ]);
  });

  it.each([
    ['csv', 'topic\nok\n""\n', 3, /^topic: /],
    ['jsonl', '{"topic":"ok"}\nnope\n', 2, /^not JSON/],
  ] as const)('tells the line and the reason of a bad %s line apart', async (format, text, line, reason) => {
    const error = await read(format, text).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ItemsFileError);
    expect(error).toMatchObject({ file: 'body', line, reason: expect.stringMatching(reason) });
    expect((error as Error).message).toBe(`body:${line}: ${(error as ItemsFileError).reason}`);
  });
});
