import { z } from 'zod';
import { BatchEvent, streamOf } from './batch-events.js';

type Document = Record<string, unknown>;

const payloadOf = (schema: z.ZodType): Document => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    io: 'output',
    unrepresentable: 'any',
  }) as Document;
  return rest;
};

/** The event types of each subject of a batch, read from the event schemas themselves. */
function eventsBySubject(): Record<'lifecycle' | 'items', z.ZodObject[]> {
  const subjects = { lifecycle: [] as z.ZodObject[], items: [] as z.ZodObject[] };
  for (const option of BatchEvent.options) {
    const type = option.shape.type.value;
    subjects[streamOf({ type } as BatchEvent)].push(option);
  }
  return subjects;
}

/**
 * The AsyncAPI 3.0 document of the events: stream BATCH_EVENTS, two subjects per batch, one message
 * per event type, generated from the same zod schemas the services parse with.
 */
export function asyncApiDocument(): Document {
  const subjects = eventsBySubject();
  const messages: Document = {};
  const channels: Document = {};
  for (const [subject, schemas] of Object.entries(subjects)) {
    const refs: Document = {};
    for (const schema of schemas) {
      const type = schema.shape.type.value as string;
      messages[type] = { name: type, contentType: 'application/json', payload: payloadOf(schema) };
      refs[type] = { $ref: `#/components/messages/${type}` };
    }
    channels[`batch-${subject}`] = {
      address: `batch.events.{batchId}.${subject}`,
      description:
        subject === 'lifecycle'
          ? 'Lifecycle decisions of one batch, appended with expected-last-subject-sequence'
          : 'Items added and item outcomes of one batch (several per message: a commit)',
      parameters: { batchId: { description: 'the batch id' } },
      messages: refs,
    };
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Batch platform events',
      version: '1.0.0',
      description:
        'Stream BATCH_EVENTS (JetStream, file storage). A batch is replayed in order with the filter ' +
        'batch.events.<batchId>.>; every event carries eventId, type, batchId, occurredAt, schemaVersion.',
    },
    channels,
    operations: Object.fromEntries(
      Object.keys(subjects).map((subject) => [
        `append-${subject}`,
        { action: 'send', channel: { $ref: `#/channels/batch-${subject}` } },
      ]),
    ),
    components: { messages },
  };
}
