export { commandMetadata } from './command-metadata.js';
export type { Logger } from './logger.js';
export { nestLogger } from './nest-logger.js';
export type { Readiness } from './readiness.js';
export { redact } from './redact.js';
export { runService, type ServiceDefinition } from './run-service.js';
export { baseSettings, parseSettings, port, positiveInt, SettingsError } from './settings.js';
export * from './tokens.js';
