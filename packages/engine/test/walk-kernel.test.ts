// The committed kernel bytes (walk-kernel.wasm.ts) are what its text source assembles to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

test('walk-kernel.wasm.ts is up to date with walk-kernel.wat (node scripts/build-wasm.mjs --check)', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the kernel stays under 4 KB: Chromium compiles no larger module synchronously on a page\'s main thread (the in-process engine)', async () => {
  const { WALK_KERNEL_WASM } = await import('../src/rcf/kernel/walk-kernel.wasm.ts');
  const bytes = Buffer.from(WALK_KERNEL_WASM, 'base64').length;
  assert.ok(bytes > 1000 && bytes <= 4096, `${bytes} bytes`);
});

test('a forest too large for one 32-bit WebAssembly memory takes the JS walks (the kernel declines it instead of failing)', async () => {
  const { WalkKernel } = await import('../src/rcf/kernel/walk-kernel.ts');
  const { RandomCutForest } = await import('../src/rcf/index.ts');
  const layout = { dims: 4, numTrees: 3, sampleSize: 16, chunkRows: 8, pointCapacity: 64 };
  assert.ok(WalkKernel.create(layout) !== null, 'a small forest gets the kernel');
  assert.equal(WalkKernel.create(layout, 1000), null, 'a layout over the byte limit gets none');
  const f = new RandomCutForest({ dimensions: 4, numTrees: 3, sampleSize: 16, seed: 1 });
  assert.equal(f.walks, 'wasm');
  // 4 GiB of trees: numTrees x sampleSize x dimensions far over what one memory addresses.
  assert.equal(WalkKernel.create({ dims: 64, numTrees: 10000, sampleSize: 4096, chunkRows: 1024, pointCapacity: 2 * 10000 * 4096 + 1024 }), null);
});
