import { TrackingError, type RunStatus, type Tracker } from './types.js';

/** Options of {@link closeRun}. */
export interface CloseRunOptions {
  /** Tags to set first (e.g. the error of a failed run). */
  tags?: Record<string, string>;
  /** Attempts of its own, beyond the retries inside each call (default 8). */
  attempts?: number;
  /** First wait between attempts in ms, doubled each time up to 30 s (default 1000: ~2 min in all). */
  backoffMs?: number;
}

/**
 * Ends a run (status, end time, and `tags` first) with a retry budget of its own, so that an
 * outage at the end of a trial, which may already have used up the budget of the call that
 * failed, does not leave the run RUNNING without a word: it is retried until it succeeds, or an
 * error names the run that could not be closed and its intended status.
 */
export async function closeRun(
  tracker: Tracker,
  runId: string,
  status: RunStatus,
  options: CloseRunOptions = {},
): Promise<void> {
  const attempts = options.attempts ?? 8;
  let wait = options.backoffMs ?? 1000;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    if (i > 0) {
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(wait * 2, 30_000);
    }
    try {
      if (options.tags && Object.keys(options.tags).length) await tracker.setTags(runId, options.tags);
      await tracker.endRun(runId, status);
      return;
    } catch (e) {
      last = e;
      // A request error the server answered (4xx) will not change by waiting.
      if (
        e instanceof TrackingError &&
        e.httpStatus !== undefined &&
        e.httpStatus < 500 &&
        e.httpStatus !== 429
      )
        break;
    }
  }
  throw new TrackingError(
    `could not close run ${runId} as ${status} in ${tracker.uri} after ${attempts} attempts (${(last as Error)?.message ?? last}); it stays RUNNING there: end it in MLflow, or rerun the trial (it continues the same run).`,
    'UNCLOSED_RUN',
    undefined,
    { cause: last },
  );
}
