/**
 * `node packages/demo-server/dist/main.js [--port N] [--store FILE] [--replay-speed X] [--no-replay] [--config FILE]`
 *
 * The bundle is also the entry of the server's worker threads (training, scoring; see
 * workers.ts): in a worker, only the worker modules' top-level code runs, not the server.
 */
import { isMainThread } from 'node:worker_threads';
import './train-worker.ts';
import './scorer-worker.ts';
import { ConfigError, loadConfig, type ServerConfig } from './config.ts';

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadConfig({ env: process.env, argv: process.argv.slice(2) });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`cx-demo-server: configuration error: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  // Loaded after the configuration is checked: a bad value fails fast, before fastify and the engine load.
  const { createServer } = await import('./app.ts');
  let server;
  try {
    server = await createServer(config);
  } catch (e) {
    process.stderr.write(`cx-demo-server: cannot start: ${(e as Error).message}\n`);
    process.exit(1);
  }
  let address: string;
  try {
    address = await server.listen();
  } catch (e) {
    process.stderr.write(`cx-demo-server: cannot listen on ${config.host}:${config.port}: ${(e as Error).message}\n`);
    process.exit(1);
  }
  server.app.log.info({ address, store: config.store }, `cx-anomaly demo server on ${address.replace('127.0.0.1', 'localhost')}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (isMainThread) void main();
