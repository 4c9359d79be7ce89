import { z } from 'zod';
import { issuesOf, storableText } from '@batch/contracts';
import type { RestoredTable } from './backup-records.js';

/** A batch id for conversations whose backup does not name one. */
export const RESTORED_BATCH_ID = 'restored';

const id = z.string().min(1);

/** v1.0's conversation (seed 001's fields, then ours); other fields are ignored. */
const ConversationRecord = z.object({
  id,
  content: z.string(),
  persona: z.string(),
  topic: z.string().nullish(),
  batch_id: id.nullish(),
  item_id: id.nullish(),
  created_at: z.iso.datetime({ offset: true }).nullish(),
  conversation_turns: z.array(z.unknown()).nullish(),
});

const TurnRecord = z.object({
  id,
  conversation_id: id,
  role: z.string(),
  content: z.string(),
  sequence: z.int32(),
});

export interface ConversationRow {
  id: string;
  batchId: string;
  itemId: string;
  topic: string;
  persona: string;
  content: string;
  /** null: the stored one if there is one, else now. */
  createdAt: string | null;
}

export interface TurnRow {
  id: string;
  conversationId: string;
  role: string;
  content: string;
  sequence: number;
}

export type RestoredRow<T extends RestoredTable> = T extends 'conversations' ? ConversationRow : TurnRow;

export type CheckedRecord<T extends RestoredTable> = { row: RestoredRow<T> } | { problem: string };

/** The row a backup record restores to, or why it cannot be restored. */
export function restoredRow<T extends RestoredTable>(table: T, record: unknown): CheckedRecord<T> {
  if (typeof record === 'object' && record !== null && !Array.isArray(record)) {
    const recordId = (record as { id?: unknown }).id;
    if (recordId === undefined || recordId === null || recordId === '') return { problem: 'missing id' };
  }
  if (table === 'conversations') {
    const parsed = ConversationRecord.safeParse(record);
    if (!parsed.success) return { problem: problemOf(parsed.error) };
    const c = parsed.data;
    const row: ConversationRow = {
      id: c.id,
      batchId: c.batch_id ?? RESTORED_BATCH_ID,
      itemId: c.item_id ?? c.id,
      topic: storableText(c.topic ?? ''),
      persona: storableText(c.persona),
      content: storableText(c.content),
      createdAt: c.created_at ?? null,
    };
    return { row } as CheckedRecord<T>;
  }
  const parsed = TurnRecord.safeParse(record);
  if (!parsed.success) return { problem: problemOf(parsed.error) };
  const t = parsed.data;
  const row: TurnRow = {
    id: t.id,
    conversationId: t.conversation_id,
    role: storableText(t.role),
    content: storableText(t.content),
    sequence: t.sequence,
  };
  return { row } as CheckedRecord<T>;
}

const problemOf = (error: z.ZodError): string =>
  issuesOf(error)
    .map(({ field, message }) => (field === '(root)' ? message : `${field}: ${message}`))
    .join('; ');
