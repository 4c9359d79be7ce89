import { z } from 'zod';
import { BatchConfig, BatchId, ItemId } from '@batch/contracts';

/** Several items of one batch handed to workers together, in the config they are to be made with. */
export const WorkMessage = z.object({
  batchId: BatchId,
  userId: z.string(),
  config: BatchConfig,
  /**
   * The stream sequence of the batch's last lifecycle decision when the message was sent: a worker
   * reads the decisions since (a pause, a resume with new settings) from the log before each item.
   */
  lifecycleSeq: z.number().int().nonnegative().default(0),
  items: z.array(
    z.object({
      id: ItemId,
      index: z.number().int().nonnegative(),
      attempt: z.number().int().positive(),
      topic: z.string(),
      parameters: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});
export type WorkMessage = z.infer<typeof WorkMessage>;
export type WorkItemSpec = WorkMessage['items'][number];
