/**
 * The `stream` attribute: an EventSource on a Server-Sent Events URL.
 * Events understood (the demo server's wire format, see packages/demo-server/src/hub.ts):
 *   event `scored` / default `message`: JSON `{ record, result }` (scored by the server) or a
 *     raw record / array of raw records (scored in the browser);
 *   event `anomaly`: a duplicate of a `scored` event, ignored;
 *   event `heartbeat`: keeps the connection state live.
 * The browser reconnects by itself (with Last-Event-ID); when it gives up (the URL answered
 * with an error), this retries with a growing delay.
 */
export type StreamState = 'off' | 'connecting' | 'live' | 'offline';

export interface StreamHandlers {
  onState(state: StreamState): void;
  onMessage(data: unknown): void;
}

export class StreamConnection {
  private source: EventSource | null = null;
  private retry = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  constructor(readonly url: string, private readonly handlers: StreamHandlers) {
    this.open();
  }

  private open(): void {
    if (this.closed) return;
    this.handlers.onState('connecting');
    let es: EventSource;
    try {
      es = new EventSource(this.url);
    } catch {
      this.handlers.onState('offline');
      this.scheduleRetry();
      return;
    }
    this.source = es;
    const onData = (ev: MessageEvent) => {
      let data: unknown;
      try {
        data = JSON.parse(ev.data as string);
      } catch {
        return; // not JSON: not a record
      }
      this.handlers.onMessage(data);
    };
    es.addEventListener('open', () => {
      this.retry = 0;
      this.handlers.onState('live');
    });
    es.addEventListener('message', onData);
    es.addEventListener('scored', onData as EventListener);
    es.addEventListener('heartbeat', () => this.handlers.onState('live'));
    es.addEventListener('error', () => {
      if (this.closed) return;
      this.handlers.onState('offline');
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        this.scheduleRetry();
      }
    });
  }

  private scheduleRetry(): void {
    clearTimeout(this.timer);
    const delay = Math.min(30_000, 1000 * 2 ** this.retry++);
    this.timer = setTimeout(() => this.open(), delay);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.source?.close();
    this.source = null;
  }
}
