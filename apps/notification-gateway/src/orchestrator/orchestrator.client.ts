import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type {
  OrchestratorCommandName,
  OrchestratorCommands,
  OrchestratorQueries,
  OrchestratorQueryName,
} from '@batch/contracts';
import { request, requestEncoded } from '@batch/messaging';
import { ApiError, fromCommandError } from '../http/api-error.js';
import { RUNTIME, type GatewayRuntime } from '../infrastructure/gateway-runtime.js';

/** The orchestrator's commands and queries over NATS request/reply; a refusal becomes the API's error. */
@Injectable()
export class OrchestratorClient {
  constructor(@Inject(RUNTIME) private readonly runtime: GatewayRuntime) {}

  command<R, N extends OrchestratorCommandName = OrchestratorCommandName>(
    name: N,
    payload: z.input<(typeof OrchestratorCommands)[N]>,
  ): Promise<R> {
    return this.ask(this.runtime.names.command(name), payload);
  }

  /** A command whose JSON is already encoded (large item lists, encoded off the event loop). */
  commandEncoded<R>(name: OrchestratorCommandName, payload: Uint8Array): Promise<R> {
    return this.ask(this.runtime.names.command(name), payload);
  }

  query<R, N extends OrchestratorQueryName = OrchestratorQueryName>(
    name: N,
    payload: z.input<(typeof OrchestratorQueries)[N]>,
  ): Promise<R> {
    return this.ask(this.runtime.names.query(name), payload);
  }

  private async ask<R>(subject: string, payload: unknown): Promise<R> {
    // While reconnecting, a request would wait out its whole timeout: answer at once instead.
    if (!this.runtime.natsConnected())
      throw new ApiError('unavailable', 'NATS is unreachable, try again shortly');
    const { nc, config } = this.runtime;
    const reply =
      payload instanceof Uint8Array
        ? await requestEncoded<R>(nc, subject, payload, config.ORCHESTRATOR_TIMEOUT_MS)
        : await request<R>(nc, subject, payload, config.ORCHESTRATOR_TIMEOUT_MS);
    if (!reply.ok) throw fromCommandError(reply.error);
    return reply.result;
  }
}
