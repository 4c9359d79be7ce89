import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A generated conversation: written by the generation worker, one per (batch, item). */
@Entity({ name: 'conversations' })
export class ConversationRecord {
  @PrimaryColumn({ name: 'id', type: 'text' })
  id!: string;

  @Column({ name: 'batch_id', type: 'text' })
  batchId!: string;

  @Column({ name: 'item_id', type: 'text' })
  itemId!: string;

  @Column({ name: 'user_id', type: 'text' })
  userId!: string;

  @Column({ name: 'topic', type: 'text' })
  topic!: string;

  @Column({ name: 'persona', type: 'text' })
  persona!: string;

  @Column({ name: 'content', type: 'text' })
  content!: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
