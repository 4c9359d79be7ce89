import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ExportRow } from '@batch/persistence';
import type { ExportOptions } from './export-lines.js';

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

/** Where the file's bytes go: resolves once the bytes are taken (the client drained them). */
export type ByteSink = (bytes: Uint8Array) => Promise<void>;

/** The writer's buffer is handed to the sink once it holds this much, even within a row group. */
const FLUSH_BYTES = 1024 * 1024;

/**
 * hyparquet-writer's in-memory writer made a stream: bytes leave as the buffer fills and after
 * every row group (the writer awaits that flush before encoding the next), so memory is one row
 * group's columns, never the file.
 */
class SinkWriter extends ByteWriter {
  private taken: Uint8Array[] = [];

  constructor(private readonly sink: ByteSink) {
    super(FLUSH_BYTES * 2);
  }

  override ensure(size: number): void {
    if (this.index >= FLUSH_BYTES) this.take();
    super.ensure(size);
  }

  async flush(): Promise<void> {
    this.take();
    const pieces = this.taken;
    this.taken = [];
    for (const piece of pieces) await this.sink(piece);
  }

  override finish(): Promise<void> {
    return this.flush();
  }

  /** Copies out what the buffer holds (the buffer is reused from its start). */
  private take(): void {
    if (this.index === 0) return;
    this.taken.push(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
  }
}

const text = (name: string, optional = false): SchemaElement => ({
  name,
  type: 'BYTE_ARRAY',
  converted_type: 'UTF8',
  repetition_type: optional ? 'OPTIONAL' : 'REQUIRED',
});

const int32 = (name: string): SchemaElement => ({ name, type: 'INT32', repetition_type: 'OPTIONAL' });

interface Column {
  /** The column's schema elements, the column itself first. */
  schema: SchemaElement[];
  value: (row: ExportRow) => unknown;
}

/**
 * The file's columns, in order, with how each is read from a row. `messages` is a standard
 * three-level LIST of `struct<role, content>`, as pyarrow, DuckDB and `datasets` read it.
 */
function columnsOf({ only, include_metadata }: ExportOptions): Column[] {
  const everyItem = only === 'all';
  const columns: Column[] = [
    { schema: [text('item_id')], value: (row: ExportRow) => row.item_id },
    { schema: [text('conversation_id', everyItem)], value: (row: ExportRow) => row.conversation_id },
    { schema: [text('topic')], value: (row: ExportRow) => row.topic },
    { schema: [text('persona', everyItem)], value: (row: ExportRow) => row.persona },
    {
      schema: [
        { name: 'messages', repetition_type: 'REQUIRED', converted_type: 'LIST', num_children: 1 },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'REQUIRED', num_children: 2 },
        text('role'),
        text('content'),
      ],
      value: (row: ExportRow) => row.turns.map(({ role, content }) => ({ role, content })),
    },
    { schema: [int32('prompt_tokens')], value: (row: ExportRow) => row.prompt_tokens },
    { schema: [int32('completion_tokens')], value: (row: ExportRow) => row.completion_tokens },
    {
      schema: [
        {
          name: 'created_at',
          type: 'INT64',
          repetition_type: everyItem ? 'OPTIONAL' : 'REQUIRED',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
        },
      ],
      value: (row: ExportRow) => row.created_at,
    },
  ];
  if (everyItem)
    columns.push(
      { schema: [text('status')], value: (row) => row.status },
      { schema: [text('error_code', true)], value: (row) => row.error?.code ?? null },
      { schema: [text('error_message', true)], value: (row) => row.error?.message ?? null },
    );
  if (include_metadata)
    columns.push(
      {
        schema: [
          { name: 'parameters', type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' },
        ],
        value: (row) => row.parameters,
      },
      { schema: [text('finish_reason', true)], value: (row) => row.finish_reason },
    );
  return columns;
}

export interface ParquetExport {
  /** Writes rows as one row group; resolves once its bytes are taken by the sink. */
  writeRowGroup(rows: readonly ExportRow[]): Promise<void>;
  /** Writes the footer. */
  finish(): Promise<void>;
}

/** A Parquet file of export rows, written to the sink a row group at a time. */
export function parquetExport(sink: ByteSink, options: ExportOptions): ParquetExport {
  const columns = columnsOf(options);
  const schema: SchemaElement[] = [
    { name: 'root', num_children: columns.length },
    ...columns.flatMap((column) => column.schema),
  ];
  const writer = new ParquetWriter({ writer: new SinkWriter(sink), schema, createdBy: 'batch-platform' });
  return {
    writeRowGroup: async (rows) => {
      if (rows.length === 0) return;
      await writer.write({
        columnData: columns.map((column) => ({ name: column.schema[0]!.name, data: rows.map(column.value) })),
        rowGroupSize: rows.length,
      });
    },
    finish: async () => {
      await writer.finish();
    },
  };
}
