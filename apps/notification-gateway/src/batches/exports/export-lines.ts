import type { ResultsQuery } from '@batch/contracts';
import type { ExportRow } from '@batch/persistence';

export type LineFormat = Exclude<ResultsQuery['format'], 'parquet'>;
export type ExportOptions = Pick<ResultsQuery, 'only' | 'include_metadata'>;

/** What `include_metadata` adds: the item's parameters, the reply's tokens and how it ended. */
const metadataOf = (row: ExportRow) => ({
  parameters: row.parameters,
  prompt_tokens: row.prompt_tokens,
  completion_tokens: row.completion_tokens,
  finish_reason: row.finish_reason,
});

/** The fields fine-tuning formats keep beside the messages when asked: where each one came from. */
const originOf = (row: ExportRow) => ({
  item_id: row.item_id,
  conversation_id: row.conversation_id,
  topic: row.topic,
  persona: row.persona,
  created_at: row.created_at?.toISOString() ?? null,
  ...metadataOf(row),
});

/** ShareGPT's speakers, as Axolotl and LLaMA-Factory name them. */
const SHAREGPT_FROM: Record<string, string> = { system: 'system', user: 'human', assistant: 'gpt' };

const LINES: Record<LineFormat, (row: ExportRow, options: ExportOptions) => object> = {
  /** Our own shape (ResultLine); `only=all` adds each item's status and error. */
  jsonl: (row, { only, include_metadata }) => ({
    item_id: row.item_id,
    conversation_id: row.conversation_id,
    topic: row.topic,
    persona: row.persona,
    turns: row.turns,
    created_at: row.created_at?.toISOString() ?? null,
    ...(only === 'all' ? { status: row.status, error: row.error } : {}),
    ...(include_metadata ? metadataOf(row) : {}),
  }),
  /** OpenAI's chat fine-tuning line: the system prompt is the first message when the batch had one. */
  openai: (row, { include_metadata }) => ({
    messages: row.turns.map(({ role, content }) => ({ role, content })),
    ...(include_metadata ? { metadata: originOf(row) } : {}),
  }),
  sharegpt: (row, { include_metadata }) => ({
    conversations: row.turns.map(({ role, content }) => ({
      from: SHAREGPT_FROM[role] ?? role,
      value: content,
    })),
    ...(include_metadata ? { metadata: originOf(row) } : {}),
  }),
};

/** A page of rows as JSON Lines of the format, each line ended by a newline. */
export const exportLines = (format: LineFormat, rows: readonly ExportRow[], options: ExportOptions): string =>
  rows.map((row) => JSON.stringify(LINES[format](row, options))).join('\n') + '\n';
