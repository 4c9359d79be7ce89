import type { NatsConnection } from '@nats-io/transport-node';
import { request, requestEncoded } from '@batch/messaging';
import type { NatsConnected } from '@batch/platform';
import { ApiError, fromCommandError } from '../http/api-error.js';

/** One request to a service over NATS; its refusal becomes the API's error naming `service`. */
export async function askService<R>(
  nc: NatsConnection,
  natsConnected: NatsConnected,
  service: string,
  subject: string,
  payload: unknown,
  timeoutMs: number,
): Promise<R> {
  // While reconnecting, a request would wait out its whole timeout: answer at once instead.
  if (!natsConnected()) throw new ApiError('unavailable', 'NATS is unreachable, try again shortly');
  const reply =
    payload instanceof Uint8Array
      ? await requestEncoded<R>(nc, subject, payload, timeoutMs)
      : await request<R>(nc, subject, payload, timeoutMs);
  if (!reply.ok) throw fromCommandError(reply.error, service);
  return reply.result;
}
