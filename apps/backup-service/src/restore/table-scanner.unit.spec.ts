import { describe, expect, it } from '@jest/globals';
import { tableEntries, type TableEntriesOptions } from './backup-document.js';
import { inspectBackup, readRecords } from './backup-records.js';
import { backupOf } from './restore.spec-helpers.js';

/* The elements of the tables are found by a byte scanner and parsed by JSON.parse: these show it
   finds them wherever the chunks cut the bytes, and refuses what the streaming parser refuses. */

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
}

const entriesOf = async (
  chunks: AsyncIterable<Uint8Array | string>,
  options?: TableEntriesOptions,
): Promise<[string, unknown][]> => {
  const entries: [string, unknown][] = [];
  for await (const batch of tableEntries(chunks, options))
    for (const { table, value } of batch) entries.push([table, value]);
  return entries;
};

/** The entries JSON.parse finds in the same text: what the scanner must hand out. */
const expectedEntries = (text: string): [string, unknown][] => {
  const document = JSON.parse(text) as Record<string, unknown>;
  const fields = (document.backupData ?? document) as Record<string, unknown[]>;
  return Object.entries(fields).flatMap(([table, elements]) =>
    table === 'metadata' || !Array.isArray(elements)
      ? []
      : elements.map((value): [string, unknown] => [table, value]),
  );
};

const tricky = {
  metadata: { note: 'a [table] of {records}', tables: ['conversations', 'conversation_turns'] },
  conversation_turns: [
    { id: 't1', content: 'brackets ] } [ { and "quotes" and \\ a backslash', sequence: 0 },
    { id: 't2', content: 'ends with a backslash \\', sequence: 1 },
    { id: 't3', content: '\\"', sequence: 2, nested: [[{ deep: ['}'] }], {}] },
  ],
  conversations: [
    { id: 'café ☕ 🎉', content: 'žluťoučký kůň 🐎 \u0000 \u001f \u2028', persona: '\ud83d\ude00' },
    'not a record',
    ['an', 'array', { id: 'in it' }],
    42,
    null,
    { id: 'last', content: '', persona: 'Expert' },
  ],
};

describe('scanning the tables', () => {
  const text = JSON.stringify(tricky);
  const bytes = Buffer.from(text);
  const expected = expectedEntries(text);

  it('finds every element, with strings full of brackets, braces, escapes and unicode', async () => {
    expect(expected.length).toBe(9);
    expect(await entriesOf(chunked(bytes, []))).toEqual(expected);
  });

  it('finds the same elements when the bytes are cut in two at any byte', async () => {
    for (let cut = 1; cut < bytes.length; cut += 1)
      expect(await entriesOf(chunked(bytes, [cut]))).toEqual(expected);
  });

  it('finds the same elements from one byte at a time, and from cuts at every third byte', async () => {
    const everyByte = Array.from({ length: bytes.length - 1 }, (_, index) => index + 1);
    expect(await entriesOf(chunked(bytes, everyByte))).toEqual(expected);
    for (let first = 1; first <= 3; first += 1) {
      const cuts = everyByte.filter((cut) => cut >= first && (cut - first) % 3 === 0);
      expect(await entriesOf(chunked(bytes, cuts))).toEqual(expected);
    }
  });

  it('reads escaped keys and escaped unicode as JSON does', async () => {
    const escaped = String.raw`{"conversa\u0074ions": [{"id": "\u00e9\ud83c\udf89", "c": "\"]}\\"}]}`;
    expect(await entriesOf(chunked(Buffer.from(escaped), [20, 40]))).toEqual([
      ['conversations', { id: 'é🎉', c: '"]}\\' }],
    ]);
  });

  it.each([
    ['pretty-printed with two spaces', JSON.stringify(tricky, null, 2)],
    ['pretty-printed with tabs', JSON.stringify(tricky, null, '\t')],
    [
      'with CRLF and blanks around every comma and bracket',
      JSON.stringify(tricky, null, 1).replace(/\n/g, ' \r\n\t'),
    ],
    ['with a byte order mark', `\ufeff${text}`],
    ['with blank tables', '{"conversations": [ \n ], "conversation_turns":[\t]}'],
    ['wrapped', JSON.stringify({ backupData: tricky }, null, 1)],
  ])('reads a document %s', async (_what, variant) => {
    const variantBytes = Buffer.from(variant);
    const wanted = expectedEntries(variant.replace(/^\ufeff/, ''));
    expect(await entriesOf(chunked(variantBytes, []))).toEqual(wanted);
    for (const size of [1, 2, 5, 64]) {
      const cuts = Array.from(
        { length: Math.ceil(variantBytes.length / size) - 1 },
        (_, index) => (index + 1) * size,
      );
      expect(await entriesOf(chunked(variantBytes, cuts))).toEqual(wanted);
    }
  });

  it('reads gzip, cut anywhere', async () => {
    for (const chunkBytes of [1, 3, 7, 1 << 16]) {
      const open = backupOf(tricky, { gzip: true, chunkBytes });
      expect(await inspectBackup(open)).toEqual({
        counts: { conversations: 6, conversation_turns: 3 },
        turnsNested: false,
      });
      const turns: unknown[] = [];
      for await (const { record } of readRecords(open, 'conversation_turns')) turns.push(record);
      expect(turns).toEqual(tricky.conversation_turns);
    }
  });

  it('hands out the elements of a chunk as the chunk arrives, not at the end of the file', async () => {
    async function* endless() {
      yield '{"conversations": [';
      for (let index = 0; ; index += 1) yield `${index === 0 ? '' : ','}{"id": "c${index}"}`;
    }
    let seen = 0;
    for await (const batch of tableEntries(endless())) {
      seen += batch.length;
      if (seen >= 1_000) break;
    }
    expect(seen).toBe(1_000);
  });
});

describe('a table element the scanner does not take', () => {
  const refused: [string, string | Buffer, string][] = [
    [
      'a byte that is no JSON in a record',
      '{"conversations": [{"id": "c1"}, {"id": x}]}',
      'the backup is not valid JSON at byte 40: Unexpected "x" in state START',
    ],
    [
      'two records without a comma',
      '{"conversations": [{"id": "c1"} {"id": "c2"}]}',
      'the backup is not valid JSON at byte 32: Unexpected LEFT_BRACE ("{") in state COMMA',
    ],
    [
      'a comma after the last record',
      '{"conversations": [{"id": "c1"},]}',
      'the backup is not valid JSON at byte 32: Unexpected RIGHT_BRACKET ("]") in state VALUE',
    ],
    [
      'a comma after a string record',
      '{"conversations": [{"id": "c1"}, "s", ]}',
      'the backup is not valid JSON at byte 38: Unexpected RIGHT_BRACKET ("]") in state VALUE',
    ],
    [
      'a number and a record without a comma',
      '{"conversations": [{"id": "c1"}, 12 {"id": "c2"}]}',
      'the backup is not valid JSON at byte 36: Unexpected LEFT_BRACE ("{") in state COMMA',
    ],
    [
      'two commas',
      '{"conversations": [{"id": "c1"},, {"id": "c2"}]}',
      'the backup is not valid JSON at byte 32: Unexpected COMMA (",") in state VALUE',
    ],
    [
      'a record closed by the wrong bracket',
      '{"conversations": [{"id": "c1"}, {"id": "c2"]}',
      'the backup is not valid JSON at byte 44: Unexpected RIGHT_BRACKET ("]") in state COMMA',
    ],
    [
      'a table closed by the wrong bracket',
      '{"conversations": [{"id": "c1"}, {"id": "c2"}}',
      'the backup is not valid JSON at byte 45: Unexpected RIGHT_BRACE ("}") in state COMMA',
    ],
    [
      'a record cut short',
      '{"conversations": [{"id": "c1"}, {"id": "c2"',
      'the backup is not valid JSON: it ends after 44 bytes, before the document does',
    ],
    [
      'a record with bytes that are not UTF-8',
      Buffer.concat([
        Buffer.from('{"conversations": [{"id": "c1"}, {"id": "'),
        Buffer.from([0xc3, 0x28, 0x22, 0x7d, 0x5d, 0x7d]),
      ]),
      'the backup is not valid JSON at byte 38: The encoded data was not valid for encoding utf-8',
    ],
    [
      'a record with a control character in a string',
      '{"conversations": [{"id": "c1", "t": "\u0001"}]}',
      'the backup is not valid JSON at byte 38: Unexpected "\u0001" in state STRING_DEFAULT',
    ],
  ];

  it.each(refused)('refuses %s, as the streaming parser words it', async (_what, document, message) => {
    const bytes = Buffer.from(document);
    await expect(entriesOf(chunked(bytes, []))).rejects.toThrow(message);
    await expect(entriesOf(chunked(bytes, [20, 34, 41]))).rejects.toThrow(message);
  });
});

describe('the size of one record', () => {
  const limit: TableEntriesOptions = { maxRecordBytes: 1_000 };

  it('may be up to the limit', async () => {
    const record = { id: 'c1', content: 'x'.repeat(970) };
    expect(JSON.stringify(record).length).toBeLessThanOrEqual(1_000);
    const document = Buffer.from(JSON.stringify({ conversations: [record] }));
    expect(await entriesOf(chunked(document, [100, 500]), limit)).toEqual([['conversations', record]]);
  });

  it('is refused over the limit, without reading on', async () => {
    async function* endless() {
      yield '{"conversations": [{"id": "c1"}, {"id": "c2", "content": "';
      for (;;) yield 'x'.repeat(100);
    }
    await expect(entriesOf(endless(), limit)).rejects.toMatchObject({
      name: 'BackupFormatError',
      message:
        'the record of "conversations" at byte 33 has more than 1000 bytes: a restore holds one record at a time, of at most that size',
    });
  });

  it('bounds a string record too, and the document outside its tables', async () => {
    async function* endlessString() {
      yield '{"conversation_turns": ["';
      for (;;) yield 'y'.repeat(100);
    }
    await expect(entriesOf(endlessString(), limit)).rejects.toThrow(
      /^the record of "conversation_turns" at byte 24 has more than 1000 bytes/,
    );
    async function* endlessMetadata() {
      yield '{"metadata": {"note": "';
      for (;;) yield 'z'.repeat(100);
    }
    await expect(entriesOf(endlessMetadata(), limit)).rejects.toThrow(
      /^the backup outside its tables at byte \d+ has more than 1000 bytes/,
    );
  });
});
