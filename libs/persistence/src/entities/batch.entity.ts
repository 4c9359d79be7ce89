import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { BatchConfig, BatchStatus } from '@batch/contracts';

/**
 * One row per batch, written only by the batch projection. The migration owns the table (indexes,
 * defaults); entities map its columns for reads. Every column names its type: decorator metadata is
 * not relied on.
 */
@Entity({ name: 'batches' })
export class BatchRecord {
  @PrimaryColumn({ name: 'batch_id', type: 'text' })
  batchId!: string;

  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ name: 'name', type: 'text' })
  name!: string;

  @Column({ name: 'status', type: 'text' })
  status!: BatchStatus;

  @Column({ name: 'declared_items', type: 'int' })
  declaredItems!: number;

  @Column({ name: 'items_added', type: 'int' })
  itemsAdded!: number;

  @Column({ name: 'total_items', type: 'int' })
  totalItems!: number;

  @Column({ name: 'processed_count', type: 'int' })
  processedCount!: number;

  @Column({ name: 'failed_count', type: 'int' })
  failedCount!: number;

  @Column({ name: 'pending_count', type: 'int' })
  pendingCount!: number;

  @Column({ name: 'config', type: 'jsonb' })
  config!: BatchConfig;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'paused_at', type: 'timestamptz', nullable: true })
  pausedAt!: Date | null;

  @Column({ name: 'pause_reason', type: 'text', nullable: true })
  pauseReason!: string | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt!: Date | null;

  /** When the batch completed, failed or was cancelled. */
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  /** Tokens of the calls that completed items (bigint: a 1,000,000-item batch passes 2^31). */
  @Column({ name: 'prompt_tokens', type: 'bigint' })
  promptTokens!: string;

  @Column({ name: 'completion_tokens', type: 'bigint' })
  completionTokens!: string;

  /** Their estimated cost in US dollars. */
  @Column({ name: 'cost_usd', type: 'double precision' })
  costUsd!: number;

  /** Time of the last event applied to this batch. */
  @Column({ name: 'last_checkpoint_at', type: 'timestamptz' })
  lastCheckpointAt!: Date;
}
