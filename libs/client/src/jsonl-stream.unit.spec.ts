import { describe, expect, it } from '@jest/globals';
import { parseJsonLines } from './jsonl-stream.js';

const encoder = new TextEncoder();

async function* arriving(pieces: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield typeof piece === 'string' ? encoder.encode(piece) : piece;
}

const collect = async (pieces: (string | Uint8Array)[]) => {
  const values: unknown[] = [];
  for await (const value of parseJsonLines(arriving(pieces))) values.push(value);
  return values;
};

describe('parsing a JSON Lines stream', () => {
  it('joins a line cut anywhere across chunks', async () => {
    expect(await collect(['{"a":', '1}\n{"b"', ':2}\n', '{"c":3}\n'])).toEqual([
      { a: 1 },
      { b: 2 },
      { c: 3 },
    ]);
  });

  it('yields several lines of one chunk in order', async () => {
    expect(await collect(['1\n2\n3\n'])).toEqual([1, 2, 3]);
  });

  it('keeps a multi-byte character split between two chunks whole', async () => {
    const bytes = encoder.encode('{"topic":"café ☕"}\n');
    const cut = bytes.indexOf(0xe2) + 1;
    expect(await collect([bytes.slice(0, cut), bytes.slice(cut)])).toEqual([{ topic: 'café ☕' }]);
  });

  it('reads a last line without a newline, and skips blank and CRLF-ended lines', async () => {
    expect(await collect(['{"a":1}\r\n', '\n', '  \n{"b":2}'])).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('yields nothing for an empty body', async () => {
    expect(await collect([])).toEqual([]);
  });

  it('names the line that is not JSON', async () => {
    await expect(collect(['{"a":1}\n\n{"b":', '}\n'])).rejects.toThrow(/line 3 is not JSON/);
  });

  it('yields each line before the rest of the body arrives', async () => {
    let released = (): void => undefined;
    const gate = new Promise<void>((resolve) => (released = resolve));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield encoder.encode('{"first":true}\n{"sec');
      await gate;
      yield encoder.encode('ond":true}\n');
    }
    const lines = parseJsonLines(slow());
    expect((await lines.next()).value).toEqual({ first: true });
    released();
    expect((await lines.next()).value).toEqual({ second: true });
  });
});
