import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import type {
  Names,
  OrchestratorCommandName,
  OrchestratorCommands,
  OrchestratorQueries,
  OrchestratorQueryName,
} from '@batch/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { NAMES, NATS, NATS_CONNECTED, SETTINGS, type NatsConnected } from '@batch/platform';
import { askService } from '../rpc/ask-service.js';
import type { GatewayConfig } from '../config/gateway.config.js';

/** The orchestrator's commands and queries over NATS request/reply; a refusal becomes the API's error. */
@Injectable()
export class OrchestratorClient {
  private readonly timeoutMs: number;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(NATS_CONNECTED) private readonly natsConnected: NatsConnected,
    @Inject(NAMES) private readonly names: Names,
    @Inject(SETTINGS) settings: GatewayConfig,
  ) {
    this.timeoutMs = settings.ORCHESTRATOR_TIMEOUT_MS;
  }

  command<R, N extends OrchestratorCommandName = OrchestratorCommandName>(
    name: N,
    payload: z.input<(typeof OrchestratorCommands)[N]>,
  ): Promise<R> {
    return this.ask(this.names.command(name), payload);
  }

  /** A command whose JSON is already encoded (large item lists, encoded off the event loop). */
  commandEncoded<R>(name: OrchestratorCommandName, payload: Uint8Array): Promise<R> {
    return this.ask(this.names.command(name), payload);
  }

  query<R, N extends OrchestratorQueryName = OrchestratorQueryName>(
    name: N,
    payload: z.input<(typeof OrchestratorQueries)[N]>,
  ): Promise<R> {
    return this.ask(this.names.query(name), payload);
  }

  private ask<R>(subject: string, payload: unknown): Promise<R> {
    return askService(this.nc, this.natsConnected, 'batch service', subject, payload, this.timeoutMs);
  }
}
