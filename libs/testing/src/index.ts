export * from './infrastructure.js';
export * from './local-servers.js';
export * from './namespace.js';
export * from './network.js';
export * from './test-bucket.js';
export * from './test-database.js';
export * from './test-nats.js';
