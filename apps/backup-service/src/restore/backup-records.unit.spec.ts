import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import {
  inspectBackup,
  readRecords,
  type BackupRecord,
  type OpenBackup,
  type RestoredTable,
} from './backup-records.js';
import { backupOf, conversation, turn, v1Backup } from './restore.spec-helpers.js';

const recordsOf = async (open: OpenBackup, table: RestoredTable) => {
  const records: BackupRecord[] = [];
  for await (const record of readRecords(open, table)) records.push(record);
  return records;
};

const v1 = v1Backup([
  conversation('c1', [turn('t1', 0), turn('t2', 1, { conversation_id: 'elsewhere' })]),
  conversation('c2'),
  { content: 'no id', conversation_turns: [turn('t3', 0)] },
]);

describe('a v1.0 backup', () => {
  it('counts the conversations and the turns nested in them', async () => {
    expect(await inspectBackup(backupOf(v1))).toEqual({
      counts: { conversations: 3, conversation_turns: 3 },
      turnsNested: true,
    });
  });

  it('yields the conversations in file order, a record without an id by its position', async () => {
    const records = await recordsOf(backupOf(v1), 'conversations');
    expect(records.map(({ id, position }) => ({ id, position }))).toEqual([
      { id: 'c1', position: 1 },
      { id: 'c2', position: 2 },
      { id: undefined, position: 3 },
    ]);
    expect(records[1]!.record).toEqual(conversation('c2'));
  });

  it('yields the turns of the conversation they are nested in, whatever they say', async () => {
    const records = await recordsOf(backupOf(v1), 'conversation_turns');
    expect(records).toEqual([
      { id: 't1', position: 1, record: { ...turn('t1', 0), conversation_id: 'c1' } },
      { id: 't2', position: 2, record: { ...turn('t2', 1), conversation_id: 'c1' } },
      { id: 't3', position: 3, record: { ...turn('t3', 0), conversation_id: undefined } },
    ]);
  });

  it('reads the same from every chunking of the bytes, and from gzip', async () => {
    for (const options of [{ chunkBytes: 1 }, { chunkBytes: 1 << 16 }, { gzip: true, chunkBytes: 5 }])
      expect(await inspectBackup(backupOf(v1, options))).toEqual({
        counts: { conversations: 3, conversation_turns: 3 },
        turnsNested: true,
      });
  });

  it('keeps characters cut between two chunks whole', async () => {
    const open = backupOf(v1Backup([conversation('café ☕ 🎉', [], { content: 'žluťoučký kůň 🐎' })]), {
      chunkBytes: 1,
    });
    const [record] = await recordsOf(open, 'conversations');
    expect(record!.id).toBe('café ☕ 🎉');
    expect(record!.record).toMatchObject({ content: 'žluťoučký kůň 🐎' });
  });

  it('is read as a string stream too', async () => {
    const open = async () => Readable.from([JSON.stringify(v1)]);
    expect((await recordsOf(open, 'conversations')).length).toBe(3);
  });
});

describe('a backup of tables (seed 003)', () => {
  const tables = {
    metadata: { exportedAt: '2025-11-04T10:00:00.000Z', tables: ['conversation_turns', 'conversations'] },
    conversation_turns: [turn('t1', 0, { conversation_id: 'c1' }), 'not a record'],
    conversations: [conversation('c1')],
  };

  it('yields each table from wherever it is in the file', async () => {
    expect(await inspectBackup(backupOf(tables))).toEqual({
      counts: { conversations: 1, conversation_turns: 2 },
      turnsNested: false,
    });
    expect(await recordsOf(backupOf(tables), 'conversations')).toEqual([
      { id: 'c1', position: 1, record: conversation('c1') },
    ]);
    expect(await recordsOf(backupOf(tables), 'conversation_turns')).toEqual([
      { id: 't1', position: 1, record: turn('t1', 0, { conversation_id: 'c1' }) },
      { position: 2, record: 'not a record' },
    ]);
  });

  it('is read inside the {backupData} wrapper', async () => {
    expect(await recordsOf(backupOf({ backupData: tables }), 'conversation_turns')).toHaveLength(2);
    expect(await inspectBackup(backupOf({ backupData: v1 }))).toEqual({
      counts: { conversations: 3, conversation_turns: 3 },
      turnsNested: true,
    });
  });

  it('may hold only one table, or empty ones', async () => {
    expect(await inspectBackup(backupOf({ conversation_turns: [] }))).toEqual({
      counts: { conversations: 0, conversation_turns: 0 },
      turnsNested: true,
    });
  });
});

describe('a file that is not a backup', () => {
  const refused: [string, string | object, RegExp][] = [
    ['no bytes', '', /^the backup is empty$/],
    ['only blanks', '  \n ', /^the backup is empty$/],
    ['broken JSON, with where it breaks', '{"conversations": [{"id": "c1",]}', /not valid JSON at byte 31: /],
    ['a byte that is no JSON', '{"conversations": [x]}', /not valid JSON at byte 19: Unexpected "x"/],
    [
      'a document cut short',
      '{"conversations": [{"id": "c1"}',
      /ends after 31 bytes, before the document does/,
    ],
    ['bytes after the document', '{"conversations": []} {}', /not valid JSON at byte 22/],
    ['gzip cut short', 'gzip', /not valid gzip: unexpected end of file/],
    ['an array', [conversation('c1')], /^the backup is not a JSON object$/],
    ['a string', '"backup"', /^the backup is not a JSON object$/],
    [
      'another version',
      { ...v1, version: '2.0' },
      /^unsupported version "2.0": only "1.0" backups are restored$/,
    ],
    ['a version that is no string', { ...v1, version: 1 }, /^unsupported version 1/],
    [
      'an unknown table',
      { conversations: [], users: [{ id: 'u1' }] },
      /^unknown table "users": a backup holds/,
    ],
    ['an unknown empty table', { conversations: [], users: [] }, /^unknown table "users"/],
    [
      'a table that is an object',
      { conversations: { c1: conversation('c1') } },
      /^the table "conversations" is not an array$/,
    ],
    [
      'a table that is a string',
      { conversation_turns: 'none' },
      /^the table "conversation_turns" is not an array$/,
    ],
    ['no tables', { metadata: { version: '1.0' }, version: '1.0' }, /^the backup holds no tables/],
    ['an empty object', {}, /^the backup holds no tables/],
    ['a wrapper that is no object', { backupData: [v1] }, /^"backupData" is not a JSON object$/],
    ['a wrapper beside other fields', { backupData: v1, options: {} }, /"backupData" must be the only field/],
    ['fields before a wrapper', { version: '1.0', backupData: v1 }, /"backupData" must be the only field/],
    ['a wrapped unknown table', { backupData: { conversations: [], users: [] } }, /^unknown table "users"/],
  ];

  it.each(refused)('refuses %s', async (_what, document, message) => {
    const open =
      document === 'gzip'
        ? async () => Readable.from([(await readAll(backupOf(v1, { gzip: true }))).subarray(0, 40)])
        : backupOf(document);
    await expect(inspectBackup(open)).rejects.toMatchObject({
      name: 'BackupFormatError',
      message: expect.stringMatching(message),
    });
    await expect(recordsOf(open, 'conversation_turns')).rejects.toThrow(message);
  });
});

async function readAll(open: OpenBackup): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await open()) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
