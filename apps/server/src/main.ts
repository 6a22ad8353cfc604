import closeWithGrace from 'close-with-grace';
import { ConfigError, parseConfig } from './config.js';

/** Starts Tessera: the only place that reads the environment and listens. */
async function main() {
  let config;
  try {
    config = parseConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  // Loaded after the config is known good, so a bad setting is reported at once.
  const { buildApp } = await import('./app.js');
  const app = await buildApp(config);
  closeWithGrace({ delay: 10_000 }, async ({ err, signal }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });
  await app.listen({ port: config.port, host: config.host });
  app.log.info(`Tessera is ready at ${config.publicUrl}`);
}

await main();
