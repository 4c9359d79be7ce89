import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ErrorShape, ItemStatus } from '@batch/contracts';

/** One row per item of a batch, written only by the batch projection. */
@Entity({ name: 'batch_items' })
export class BatchItemRecord {
  @PrimaryColumn({ name: 'batch_id', type: 'text' })
  batchId!: string;

  @PrimaryColumn({ name: 'item_id', type: 'text' })
  itemId!: string;

  /** Order of arrival in the batch, from 0: the domain's index of the item. */
  @Column({ name: 'position', type: 'int' })
  position!: number;

  @Column({ name: 'topic', type: 'text' })
  topic!: string;

  @Column({ name: 'parameters', type: 'jsonb', nullable: true })
  parameters!: Record<string, unknown> | null;

  @Column({ name: 'status', type: 'text' })
  status!: ItemStatus;

  @Column({ name: 'attempt', type: 'int' })
  attempt!: number;

  @Column({ name: 'conversation_id', type: 'text', nullable: true })
  conversationId!: string | null;

  @Column({ name: 'error', type: 'jsonb', nullable: true })
  error!: ErrorShape | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
