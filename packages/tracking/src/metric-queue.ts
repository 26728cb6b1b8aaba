import { TrackingError, type Metric, type Tracker } from './types.js';

/** Options of a {@link MetricQueue}. */
export interface MetricQueueOptions {
  /** Told once per outage, with the number of batches held (default: stderr). */
  onError?: (message: string) => void;
  /** First wait between flush attempts in ms, doubled up to 30 s (default 1000). */
  backoffMs?: number;
}

/** A request error the server answered (4xx but 429): waiting does not change it. */
function permanent(e: unknown): boolean {
  return (
    e instanceof TrackingError && e.httpStatus !== undefined && e.httpStatus < 500 && e.httpStatus !== 429
  );
}

/**
 * Metrics logged while something else runs (training), in order, without ever rejecting: a
 * failed send keeps its batch and the next `add` or `flush` tries again, as MLflow's own client
 * queues metrics. `flush` waits until everything is sent, retrying with backoff until its
 * deadline, and only then throws an error that says what was not logged.
 */
export class MetricQueue {
  private readonly pending: Metric[][] = [];
  private inFlight: Promise<void> | null = null;
  private lastError: unknown = null;
  private reported = false;
  private readonly onError: (message: string) => void;

  constructor(
    private readonly tracker: Tracker,
    private readonly runId: string,
    private readonly options: MetricQueueOptions = {},
  ) {
    this.onError = options.onError ?? ((m) => console.error(`[hybridspike] ${m}`));
  }

  /** Batches not yet acknowledged by the store. */
  get size(): number {
    return this.pending.length;
  }

  /** Queues one batch and starts sending it unless a send is under way. */
  add(metrics: Metric[]): void {
    // Stamped now, not when sent: a resend is then recognisable by (key, step, timestamp).
    const now = Date.now();
    if (metrics.length) this.pending.push(metrics.map((m) => ({ ...m, timestamp: m.timestamp ?? now })));
    void this.pump();
  }

  /**
   * The head batch less the points the store already holds: a send whose answer was lost (the
   * store acted, then the connection dropped) must not log its points twice when resent.
   */
  private async unsent(batch: Metric[]): Promise<Metric[]> {
    const have = new Set<string>();
    for (const key of new Set(batch.map((m) => m.key)))
      for (const m of await this.tracker.getMetricHistory(this.runId, key))
        have.add(`${key}\u0000${m.step}\u0000${m.timestamp}`);
    return batch.filter((m) => !have.has(`${m.key}\u0000${m.step}\u0000${m.timestamp}`));
  }

  private pump(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (!this.pending.length) return Promise.resolve();
    this.inFlight = (async () => {
      // Starts after the assignment: the first await below comes before any line that can end it.
      await Promise.resolve();
      try {
        while (this.pending.length) {
          const head = this.lastError ? await this.unsent(this.pending[0]!) : this.pending[0]!;
          if (head.length) await this.tracker.logMetrics(this.runId, head);
          this.pending.shift();
          this.lastError = null;
          this.reported = false;
        }
      } catch (e) {
        this.lastError = e;
        if (!this.reported) {
          this.reported = true;
          this.onError(
            `logging metrics to ${this.tracker.uri} failed (${(e as Error).message}); ${this.pending.length} batch(es) held, retried as training goes on.`,
          );
        }
      } finally {
        this.inFlight = null;
      }
    })();
    return this.inFlight;
  }

  /**
   * Sends everything queued, retrying until `deadlineMs` from now (default 5 minutes);
   * throws a {@link TrackingError} naming what stays unsent when the store never takes it.
   */
  async flush(deadlineMs = 300_000): Promise<void> {
    const end = Date.now() + deadlineMs;
    let wait = this.options.backoffMs ?? 1000;
    for (;;) {
      await (this.inFlight ?? this.pump());
      if (!this.pending.length) return;
      if (permanent(this.lastError) || Date.now() + wait > end) break;
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 30_000);
    }
    const points = this.pending.reduce((a, b) => a + b.length, 0);
    throw new TrackingError(
      `${points} metric point(s) of run ${this.runId} could not be logged to ${this.tracker.uri} (${(this.lastError as Error)?.message ?? this.lastError}); the trial's checkpoint is kept: rerun it when the server is back and it continues the same run.`,
      'UNLOGGED_METRICS',
      undefined,
      { cause: this.lastError },
    );
  }
}
