import type { ServiceDefinition } from '@batch/platform';
import { gatewayModule } from './app.module.js';
import { GatewayConfig } from './config/gateway.config.js';
import { createGatewayApp } from './gateway.app.js';

/** The gateway in the platform's shell: it serves the probes and /metrics on its own HTTP port. */
export const gateway: ServiceDefinition<GatewayConfig> = {
  name: 'notification-gateway',
  settings: GatewayConfig,
  module: gatewayModule,
  async listen(root, { settings, logger }) {
    const app = await createGatewayApp(root, settings, logger);
    try {
      await app.listen(settings.GATEWAY_PORT, settings.GATEWAY_HOST);
    } catch (error) {
      await app.close();
      throw (error as { code?: string }).code === 'EADDRINUSE'
        ? new Error(`port ${settings.GATEWAY_PORT} is in use: stop what listens there or set GATEWAY_PORT`)
        : new Error(
            `cannot listen on ${settings.GATEWAY_HOST}:${settings.GATEWAY_PORT}: ${(error as Error).message}`,
          );
    }
    return app;
  },
  readyFields: (settings) => ({ url: `http://localhost:${settings.GATEWAY_PORT}` }),
};
