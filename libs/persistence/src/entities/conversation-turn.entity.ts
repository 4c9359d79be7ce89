import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One turn of a conversation, in `sequence` order; removed with its conversation. */
@Entity({ name: 'conversation_turns' })
export class ConversationTurnRecord {
  @PrimaryColumn({ name: 'id', type: 'text' })
  id!: string;

  @Column({ name: 'conversation_id', type: 'text' })
  conversationId!: string;

  @Column({ name: 'role', type: 'text' })
  role!: string;

  @Column({ name: 'content', type: 'text' })
  content!: string;

  @Column({ name: 'sequence', type: 'int' })
  sequence!: number;
}
