import closeWithGrace from 'close-with-grace';
import { parseConfig } from './config.js';
import { boundHeapGrowth } from './ops/heap.js';

boundHeapGrowth();

/** Starts Tessera: the only place that reads the environment and listens. */
async function main() {
  const config = parseConfig();
  // Before the app's modules load: instrumentation patches the database driver as it loads
  // (ops/tracing.ts). Without an endpoint the SDK is never even imported.
  const tracing = config.otlpEndpoint
    ? await (await import('./ops/tracing.js')).startTracing(config.otlpEndpoint)
    : undefined;
  // Loaded after the config is known good, so a bad setting is reported at once.
  const { buildApp } = await import('./app.js');
  const app = await buildApp(config);
  closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
    // Last, so the spans of the requests that just finished still go out.
    await tracing?.shutdown();
  });
  await app.listen({ port: config.port, host: config.host });
  app.log.info(`Tessera is ready at ${config.publicUrl}`);
}

try {
  await main();
} catch (error) {
  // A bad setting, a taken port, a weak ADMIN_PASSWORD: say what is wrong, not where in our code.
  console.error(`Tessera could not start. ${error instanceof Error ? error.message : String(error)}`);
  if (/^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')) console.error(error);
  process.exit(1);
}
