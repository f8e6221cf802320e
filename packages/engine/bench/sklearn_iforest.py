# Times scikit-learn's IsolationForest on a CSV (no header, all columns features).
# Usage: python3 sklearn_iforest.py FILE RUNS -> one JSON line on stdout.
# 100 trees, 256 samples, n_jobs=1, contamination='auto' (fit grows trees only).
import json, sys, time
import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest

path, runs = sys.argv[1], int(sys.argv[2])
X = np.loadtxt(path, delimiter=',', ndmin=2)
fit_ms, score_ms = [], []
model = None
for r in range(runs + 1):  # run 0 is a warm-up
    t0 = time.perf_counter()
    model = IsolationForest(n_estimators=100, max_samples=256, n_jobs=1, random_state=r).fit(X)
    t1 = time.perf_counter()
    model.score_samples(X)
    t2 = time.perf_counter()
    if r > 0:
        fit_ms.append((t1 - t0) * 1000)
        score_ms.append((t2 - t1) * 1000)
print(json.dumps({'version': sklearn.__version__, 'fit_ms': float(np.median(fit_ms)), 'score_ms': float(np.median(score_ms))}))
