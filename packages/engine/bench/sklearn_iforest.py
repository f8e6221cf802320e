# Times scikit-learn's IsolationForest on a CSV (no header, all columns features).
# Usage: python3 sklearn_iforest.py FILE RUNS -> one JSON line on stdout (medians of wall and CPU ms).
# 100 trees, 256 samples, n_jobs=1, contamination='auto' (fit grows trees only).
import json, sys, time
import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest

path, runs = sys.argv[1], int(sys.argv[2])
X = np.loadtxt(path, delimiter=',', ndmin=2)
fit_ms, score_ms, fit_cpu, score_cpu = [], [], [], []
model = None
for r in range(runs + 1):  # run 0 is a warm-up
    c0, t0 = time.process_time(), time.perf_counter()
    model = IsolationForest(n_estimators=100, max_samples=256, n_jobs=1, random_state=r).fit(X)
    c1, t1 = time.process_time(), time.perf_counter()
    model.score_samples(X)
    c2, t2 = time.process_time(), time.perf_counter()
    if r > 0:
        fit_ms.append((t1 - t0) * 1000)
        score_ms.append((t2 - t1) * 1000)
        fit_cpu.append((c1 - c0) * 1000)
        score_cpu.append((c2 - c1) * 1000)
print(json.dumps({'version': sklearn.__version__, 'fit_ms': float(np.median(fit_ms)), 'score_ms': float(np.median(score_ms)),
                  'fit_cpu_ms': float(np.median(fit_cpu)), 'score_cpu_ms': float(np.median(score_cpu))}))
