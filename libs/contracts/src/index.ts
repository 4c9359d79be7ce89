export * from './batch-config.js';
export * from './batch-events.js';
export * from './errors.js';
export * from './ids.js';
export * from './items.js';
export * from './orchestrator-api.js';
export * from './subjects.js';
export * from './validation.js';
