// Same seed, same stream -> the same scores in Chromium as in Node: the Random Cut
// Forest's golden run (test/support/rcf-golden-run.ts) hashes, in this browser, to
// the SHA-256 values recorded by Node in test/rcf-golden.json, with the
// WebAssembly walk kernel and with the JS walks.
import { expect } from '@open-wc/testing';
import { computeGoldenBytes } from './support/rcf-golden-run.ts';
import { setWalkKernelEnabled, walkKernelStatus } from '../src/rcf/kernel/walk-kernel.ts';

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes.slice()));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function compute(): Promise<Record<string, Record<string, string>>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [run, sinks] of Object.entries(computeGoldenBytes())) {
    out[run] = {};
    for (const [k, v] of Object.entries(sinks)) out[run][k] = await sha256(v.bytes());
  }
  return out;
}

describe('Random Cut Forest in Chromium', function () {
  this.timeout(120000);

  it('gives the bits Node recorded (rcf-golden.json), with the WebAssembly walks and with the JS walks', async () => {
    const want = await (await fetch(new URL('./rcf-golden.json', import.meta.url))).json();
    expect(walkKernelStatus()).to.deep.equal({ kernel: 'wasm', reason: '' });
    expect(await compute()).to.deep.equal(want);
    setWalkKernelEnabled(false);
    try {
      expect(walkKernelStatus().kernel).to.equal('js');
      expect(await compute()).to.deep.equal(want);
    } finally {
      setWalkKernelEnabled(true);
    }
  });
});
