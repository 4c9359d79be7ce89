import type { Provider } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { createConversationSaver } from '@batch/persistence';
import { DATA_SOURCE } from '@batch/platform';

/** Each reply stored as it arrives, a few milliseconds' worth per transaction. */
export const CONVERSATION_SAVER = Symbol('CONVERSATION_SAVER');

export const conversationSaverProvider: Provider = {
  provide: CONVERSATION_SAVER,
  inject: [DATA_SOURCE],
  useFactory: (ds: DataSource) => createConversationSaver(ds),
};
