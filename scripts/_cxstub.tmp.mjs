export const cxStub = { name: 'stub', setup(b) {
  b.onResolve({ filter: /^cx:engine-worker$/ }, () => ({ path: 'x', namespace: 'cxw' }));
  b.onResolve({ filter: /load-engine-service\.ts$/ }, () => ({ path: 'les', namespace: 'cxw' }));
  b.onLoad({ filter: /^les$/, namespace: 'cxw' }, () => ({ contents: 'export async function loadEngineService(){ return globalThis.X }' }));
  b.onLoad({ filter: /^x$/, namespace: 'cxw' }, () => ({ contents: 'export const inlineWorkerSource=null, workerUrl=null;' }));
  b.onResolve({ filter: /^@tensorflow\// }, () => ({ path: 'tf', namespace: 'cxw' }));
  b.onLoad({ filter: /^tf$/, namespace: 'cxw' }, () => ({ contents: 'export const getBackend=0, setBackend=0, ready=0' }));
}};
