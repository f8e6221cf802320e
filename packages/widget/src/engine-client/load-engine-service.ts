/**
 * The EngineService class for the in-process fallback, loaded only when it is needed.
 * ESM build and dev servers: a dynamic import (its own chunk). The single-file IIFE
 * replaces this module (rollup.config.mjs) with one that takes the class from the
 * bundled worker function, so the engine is not shipped twice.
 */
import type { EngineService } from '../worker/engine-service.ts';

export async function loadEngineService(): Promise<typeof EngineService> {
  return (await import('../worker/engine-service.ts')).EngineService;
}
