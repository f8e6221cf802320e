/**
 * Loads tfjs lazily: @tensorflow/tfjs-core plus only the backend asked for, never
 * the whole @tensorflow/tfjs bundle. Nothing imports tfjs statically, so the
 * engine's JS path (and the widget's first paint) never waits for it.
 */
export type TfjsBackendName = 'webgl' | 'webgpu' | 'cpu' | 'wasm';
export type Tf = typeof import('@tensorflow/tfjs-core');

export class AccelUnavailableError extends Error {
  override name = 'AccelUnavailableError';
}

let core: Promise<Tf> | null = null;
const registered = new Map<TfjsBackendName, Promise<void>>();

function registerBackend(name: TfjsBackendName): Promise<void> {
  let p = registered.get(name);
  if (!p) {
    // Each import registers its backend (and kernels) with tfjs-core as a side effect.
    p = (async () => {
      if (name === 'webgl') await import('@tensorflow/tfjs-backend-webgl');
      else if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
      else if (name === 'cpu') await import('@tensorflow/tfjs-backend-cpu');
      else await import('@tensorflow/tfjs-backend-wasm');
    })();
    registered.set(name, p);
    p.catch(() => registered.delete(name));
  }
  return p;
}

/** tfjs-core with `name` as the active backend; AccelUnavailableError when it cannot start here. */
export async function loadTfjs(name: TfjsBackendName): Promise<Tf> {
  let tf: Tf;
  try {
    core ??= import('@tensorflow/tfjs-core');
    tf = await core;
    await registerBackend(name);
  } catch (e) {
    core = null;
    throw new AccelUnavailableError(`tfjs backend "${name}" could not be loaded: ${(e as Error).message}`);
  }
  let ok = true;
  try {
    // (Builds without tfjs, such as the single-file IIFE, stub these to throw.)
    if (tf.getBackend() !== name) ok = await tf.setBackend(name);
    if (ok) await tf.ready();
  } catch (e) {
    throw new AccelUnavailableError(`tfjs backend "${name}" failed to start: ${(e as Error).message}`);
  }
  if (!ok) throw new AccelUnavailableError(`tfjs backend "${name}" is not available in this environment`);
  return tf;
}
