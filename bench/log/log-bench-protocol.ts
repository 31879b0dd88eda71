/*
 * What `samsa bench log` and its worker threads share. Each worker posts `ready` (the log
 * writer with the log's handle), waits for `go`, runs, and posts a `BenchThreadDone`.
 * `control` is an Int32Array on a shared buffer:
 *   [CONSUMED] batches the reader has taken
 *   [DONE]     batches the writer wrote in all, or -1 while it is still writing
 */
export const CONSUMED = 0
export const DONE = 16
export const CONTROL_BYTES = 128

export type BenchRole = 'log-writer' | 'log-reader'

export interface BenchThreadConfig {
  readonly role: BenchRole
  readonly control: SharedArrayBuffer
  readonly capacity: number
  readonly recordSize: number
  readonly batchBytes: number
  readonly durationMs: number
  readonly seed: number
  readonly verifyCrc: boolean
  readonly zeroCopy: boolean
  /** The log's handle (log reader). */
  readonly shared?: unknown
}

export interface BenchThreadDone {
  readonly type: 'done'
  /** Batches moved. */
  readonly units: number
  readonly records: number
  readonly elapsedMs: number
  readonly checksum: number
}

/** Records per batch for a batch of about `batchBytes` (a record costs its value + ~9 bytes). */
export function recordsPerBatch(batchBytes: number, recordSize: number): number {
  return Math.max(1, Math.floor((batchBytes - 61) / (recordSize + 9)))
}

export function isBenchThreadDone(message: unknown): message is BenchThreadDone {
  if (typeof message !== 'object' || message === null) return false
  const m = message as Record<string, unknown>
  return (
    m.type === 'done' &&
    typeof m.units === 'number' &&
    typeof m.records === 'number' &&
    typeof m.elapsedMs === 'number' &&
    typeof m.checksum === 'number'
  )
}

export function isReady(message: unknown): message is { type: 'ready'; handle?: unknown } {
  return (
    typeof message === 'object' &&
    message !== null &&
    (message as { type?: unknown }).type === 'ready'
  )
}
