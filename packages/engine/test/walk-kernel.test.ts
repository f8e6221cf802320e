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
