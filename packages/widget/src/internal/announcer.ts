/**
 * Throttled polite announcements: a burst of anomalies becomes one sentence, at most one
 * every `intervalMs`, so a screen reader is told without being flooded.
 */
export class Announcer {
  private pending: string[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastAt = -Infinity;

  constructor(private readonly write: (text: string) => void, private readonly intervalMs = 5000) {}

  /** Queues one anomaly description. */
  add(text: string): void {
    this.pending.push(text);
    this.flushSoon();
  }

  /** Announces now (a response to the user's own action). */
  say(text: string): void {
    this.write('');
    // Clear first and write a moment later (after a render), so the same sentence twice is
    // announced twice.
    setTimeout(() => this.write(text), 60);
  }

  private flushSoon(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastAt + this.intervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const items = this.pending;
      this.pending = [];
      if (items.length === 0) return;
      this.lastAt = performance.now();
      this.write(items.length === 1 ? items[0]! : `${items.length} new anomalies. Latest: ${items[items.length - 1]}`);
    }, wait);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
