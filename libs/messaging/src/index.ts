export * from './jetstream.js';
export * from './request-reply.js';
export * from './work-message.js';
export * from './work-stream.js';
export * from './connection-status.js';
export * from './trace-context.js';
export * from './facts.js';
