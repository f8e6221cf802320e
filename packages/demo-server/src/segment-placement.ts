/**
 * Which worker of a pool a segment goes to: assigned at first sight to the worker with the
 * fewest segments (ties: the first), then kept, so a segment's records always meet the same
 * worker (its streaming state, or its forests in that worker's caches). model.ts keeps one
 * for the stream workers (reset at each model install) and one for the batch workers.
 */
export class SegmentPlacement {
  private readonly placed = new Map<string, number>();
  private readonly counts: number[];

  /**
   * `workers`: the pool's size. `cap`: segments remembered at most (segment names are client
   * input, so memory is bounded): past it the placement starts afresh.
   */
  constructor(workers: number, private readonly cap: number) {
    this.counts = new Array<number>(workers).fill(0);
  }

  workerOf(segment: string): number {
    let k = this.placed.get(segment);
    if (k === undefined) {
      if (this.placed.size >= this.cap) this.clear();
      k = 0;
      for (let j = 1; j < this.counts.length; j++) if (this.counts[j]! < this.counts[k]!) k = j;
      this.counts[k]!++;
      this.placed.set(segment, k);
    }
    return k;
  }

  clear(): void {
    this.placed.clear();
    this.counts.fill(0);
  }
}
