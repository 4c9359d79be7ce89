import 'reflect-metadata';
import { gatewaySettings } from './config/gateway.config.js';
import { createGatewayApp } from './gateway.app.js';
import { RUNTIME, type GatewayRuntime } from './infrastructure/gateway-runtime.js';

/** The notification gateway: the public REST API over the services' NATS API. */
const settings = gatewaySettings(process.env);
if (!settings.success) {
  for (const issue of settings.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
  process.exit(2);
}
const config = settings.data;
const app = await createGatewayApp(config);
const runtime = app.get<GatewayRuntime>(RUNTIME);
try {
  await app.listen(config.GATEWAY_PORT, config.GATEWAY_HOST);
} catch (error) {
  const inUse = (error as { code?: string }).code === 'EADDRINUSE';
  runtime.logger.fatal(
    inUse
      ? `port ${config.GATEWAY_PORT} is in use: stop what listens there or set GATEWAY_PORT`
      : `cannot listen on ${config.GATEWAY_HOST}:${config.GATEWAY_PORT}: ${(error as Error).message}`,
  );
  await runtime.close();
  process.exit(1);
}
runtime.logger.info(
  { url: `http://localhost:${config.GATEWAY_PORT}`, nats: config.NATS_URL },
  'notification-gateway ready',
);
process.once('SIGTERM', () => void app.close().then(() => runtime.close()));
process.once('SIGINT', () => void app.close().then(() => runtime.close()));
