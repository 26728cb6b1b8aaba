/** Machine-readable reasons a hybridspike call can fail. */
export type HybridSpikeErrorCode =
  | 'BAD_ARGUMENT'
  | 'BAD_SHAPE'
  | 'NON_FINITE'
  | 'DIVERGED'
  | 'EMPTY'
  | 'BACKEND_UNAVAILABLE'
  | 'CHECKPOINT_MISMATCH'
  | 'UNKNOWN_COMPONENT'
  | 'BAD_OPTIONS'
  | 'DUPLICATE'
  | 'NOT_EXPORTABLE'
  | 'DATA'
  | 'TRACKING';

/** The one error class of hybridspike: a `code` to branch on, a message that says what to do. */
export class HybridSpikeError extends Error {
  override readonly name = 'HybridSpikeError';
  readonly code: HybridSpikeErrorCode;
  constructor(code: HybridSpikeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Throws a {@link HybridSpikeError} built lazily when `cond` is false. */
export function check(cond: unknown, code: HybridSpikeErrorCode, message: () => string): asserts cond {
  if (!cond) throw new HybridSpikeError(code, message());
}
