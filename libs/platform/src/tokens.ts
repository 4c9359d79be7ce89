/**
 * Nest injection tokens of the platform's ports: a class asks for what it uses, and a test sees
 * its dependencies in its constructor.
 */
/** The service's parsed settings (the base settings and its own keys). */
export const SETTINGS = Symbol('SETTINGS');
export const LOGGER = Symbol('LOGGER');
export const NATS = Symbol('NATS');
export const JETSTREAM = Symbol('JETSTREAM');
export const JETSTREAM_MANAGER = Symbol('JETSTREAM_MANAGER');
/** `() => boolean`: false while the NATS connection is down. */
export const NATS_CONNECTED = Symbol('NATS_CONNECTED');
/** The stream, bucket and subject names of this namespace. */
export const NAMES = Symbol('NAMES');
export const DATA_SOURCE = Symbol('DATA_SOURCE');
/** The service's prom-client Registry, served at /metrics. */
export const METRICS = Symbol('METRICS');
/** The readiness checks, run by /readyz. */
export const READINESS = Symbol('READINESS');

export type NatsConnected = () => boolean;
