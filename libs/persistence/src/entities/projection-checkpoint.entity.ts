import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The last stream sequence a projection applied, stored in the transaction of its writes. */
@Entity({ name: 'projection_checkpoints' })
export class ProjectionCheckpointRecord {
  @PrimaryColumn({ name: 'name', type: 'text' })
  name!: string;

  /** A JetStream sequence: bigint in the table, well within a JS number. */
  @Column({
    name: 'last_seq',
    type: 'bigint',
    transformer: { to: (value: number) => value, from: (value: string) => Number(value) },
  })
  lastSeq!: number;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
