export { commandMetadata } from './command-metadata.js';
export { createLogger, type Logger } from './logger.js';
export { nestLogger } from './nest-logger.js';
export { startOpsServer, type OpsServer } from './ops-server.js';
export { openPlatform, type Platform } from './platform.js';
export { createReadiness, type Readiness, type ReadinessCheck } from './readiness.js';
export { REDACTED, redact } from './redact.js';
export { runService, type ServiceDefinition } from './run-service.js';
export {
  baseSettings,
  logLevel,
  parseSettings,
  port,
  positiveInt,
  SettingsError,
  withoutEmpty,
  type BaseSettings,
} from './settings.js';
export * from './tokens.js';
