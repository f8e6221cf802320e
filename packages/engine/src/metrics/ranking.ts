/**
 * Ranking metrics for anomaly scores (higher score = more anomalous,
 * label 1 = anomaly), with the definitions scikit-learn uses so that our
 * numbers compare with published ones.
 */

/** Row indices ordered by descending score (ties in index order: the metrics below group ties, so that order never matters). */
function orderByScoreDesc(scores: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(scores.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

function checkInputs(scores: ArrayLike<number>, labels: ArrayLike<number>, what: string): { pos: number; neg: number } {
  if (scores.length !== labels.length) throw new RangeError(`${what}: ${scores.length} scores but ${labels.length} labels`);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 1) pos++;
    else if (l !== 0) throw new RangeError(`${what}: label ${i} is ${l}; labels must be 0 or 1`);
    if (Number.isNaN(scores[i])) throw new RangeError(`${what}: score ${i} is NaN`);
  }
  return { pos, neg: labels.length - pos };
}

/**
 * Area under the ROC curve: the probability that a random anomaly scores above
 * a random normal point, ties counting one half (Mann-Whitney U with average
 * ranks). Equals sklearn's `roc_auc_score`. Throws when one class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos, neg } = checkInputs(scores, labels, 'rocAuc');
  if (pos === 0 || neg === 0) throw new RangeError(`rocAuc: needs both classes, got ${pos} positives and ${neg} negatives`);
  const order = orderByScoreDesc(scores);
  const n = order.length;
  // Ascending ranks 1..n: the element at descending position k has rank n - k.
  // A tie group at positions [i, j) gets the average rank.
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    const s = scores[order[i]!]!;
    let j = i + 1;
    while (j < n && scores[order[j]!] === s) j++;
    let posInGroup = 0;
    for (let k = i; k < j; k++) posInGroup += labels[order[k]!]!;
    // ranks of positions i..j-1 are n-i .. n-j+1; their mean is n - (i + j - 1) / 2
    rankSumPos += posInGroup * (n - (i + j - 1) / 2);
    i = j;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision, sklearn's `average_precision_score`: sum over distinct
 * score thresholds (descending) of (R_k - R_{k-1}) * P_k, where P_k and R_k are
 * the precision and recall when everything scoring >= the k-th distinct score
 * is flagged (tied scores enter together; no interpolation). Throws when there
 * are no positives (sklearn would warn and return a meaningless value).
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const { pos } = checkInputs(scores, labels, 'averagePrecision');
  if (pos === 0) throw new RangeError('averagePrecision: no positive labels');
  const order = orderByScoreDesc(scores);
  const n = order.length;
  let tp = 0;
  let ap = 0;
  let i = 0;
  while (i < n) {
    const s = scores[order[i]!]!;
    let j = i;
    let tpGroup = 0;
    while (j < n && scores[order[j]!] === s) tpGroup += labels[order[j++]!]!;
    tp += tpGroup;
    // flagged = j; precision = tp / j; recall step = tpGroup / pos
    if (tpGroup > 0) ap += (tpGroup / pos) * (tp / j);
    i = j;
  }
  return ap;
}
