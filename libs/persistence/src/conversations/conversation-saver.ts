import type { DataSource } from 'typeorm';
import {
  saveConversations,
  type ConversationInput,
  type SavedConversation,
} from './conversation.repository.js';

export interface ConversationSaver {
  /** Resolves once the conversation (or the one an earlier call stored for its item) is stored. */
  save(conversation: ConversationInput): Promise<SavedConversation>;
}

export interface ConversationSaverOptions {
  /** How long a reply may wait for others to be stored in the same transaction. */
  maxDelayMs?: number;
  maxPerTransaction?: number;
}

interface Waiting {
  conversation: ConversationInput;
  resolve: (saved: SavedConversation) => void;
  reject: (error: unknown) => void;
}

/**
 * Stores each reply as soon as it arrives, so that a crash loses only the calls in flight: a paid
 * reply is never thrown away because the other items of its work message were not done yet. Replies
 * arriving within a few milliseconds share one transaction (a fast model's replies come together),
 * transactions are pipelined.
 */
export function createConversationSaver(
  dataSource: DataSource,
  options: ConversationSaverOptions = {},
): ConversationSaver {
  const maxDelayMs = options.maxDelayMs ?? 5;
  const maxPerTransaction = options.maxPerTransaction ?? 500;
  let waiting: Waiting[] = [];
  let timer: NodeJS.Timeout | undefined;

  function send(): void {
    clearTimeout(timer);
    timer = undefined;
    const group = waiting;
    waiting = [];
    saveConversations(
      dataSource,
      group.map((entry) => entry.conversation),
    ).then(
      (saved) => group.forEach((entry, index) => entry.resolve(saved[index]!)),
      (error: unknown) => group.forEach((entry) => entry.reject(error)),
    );
  }

  return {
    save: (conversation) =>
      new Promise<SavedConversation>((resolve, reject) => {
        waiting.push({ conversation, resolve, reject });
        if (waiting.length >= maxPerTransaction) send();
        else timer ??= setTimeout(send, maxDelayMs);
      }),
  };
}
