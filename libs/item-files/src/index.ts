export * from './items-file-error.js';
export * from './jsonl-items.js';
export * from './csv-items.js';
export * from './read-items.js';
