// Finds (or starts) real NATS, PostgreSQL and S3 once per run; test workers inherit the variables.
// Plain ESM so that Jest loads it natively; the TypeScript it imports goes through SWC.
import '@swc-node/register/esm-register';

export default async function globalSetup() {
  // The services the tests start run from dist/: built first (only what changed).
  const { build } = await import('../build/build.mjs');
  const built = await build();
  console.log(`\nbuilt ${built.files} file(s) of the apps and libs in ${built.ms} ms`);
  const { ensureInfrastructure } = await import('../../libs/testing/src/infrastructure.ts');
  const infrastructure = await ensureInfrastructure();
  Object.assign(process.env, infrastructure.env);
  globalThis.stopTestInfrastructure = infrastructure.stop;
  const { env, sources } = infrastructure;
  console.log(
    `\ntest infrastructure: NATS ${env.NATS_URL} (${sources.nats}), PostgreSQL (${sources.postgres}), ` +
      `S3 ${env.S3_ENDPOINT} (${sources.s3})`,
  );
}
