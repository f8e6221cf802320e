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
