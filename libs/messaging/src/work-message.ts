import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
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

/** The header telling a worker how many items a work message holds, before it reads the message. */
const WORK_ITEMS_HEADER = 'Batch-Work-Items';

/** Headers of a work message of `items` items, beside the trace context of the dispatch. */
export function workHeaders(items: number, trace?: MsgHdrs): MsgHdrs {
  const headers = natsHeaders();
  for (const key of trace?.keys() ?? []) for (const value of trace!.values(key)) headers.append(key, value);
  headers.set(WORK_ITEMS_HEADER, String(items));
  return headers;
}

/** How many items a work message holds, by its header (1 for a message sent without one). */
export function workItemsOf(headers: MsgHdrs | undefined): number {
  const items = Number(headers?.get(WORK_ITEMS_HEADER));
  return Number.isInteger(items) && items > 0 ? items : 1;
}
