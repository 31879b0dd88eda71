/*
 * The floor of creating partitions, for the scale scenario: allocating the same
 * SharedArrayBuffers (every replica's header, ring and index) on one thread, with no broker,
 * message or metadata in the way. Fresh shared memory is zeroed page by page, so this is
 * mostly the kernel's work.
 */

export interface AllocationFigures {
  /** Named as the figure it is the floor of. */
  readonly createTopicMs: number
  readonly sharedBytes: number
}

/** Allocates `count` sets of buffers of `sizes` bytes, keeps them until all exist, drops them. */
export function measureAllocationBaseline(
  count: number,
  sizes: readonly number[],
): AllocationFigures {
  const held: SharedArrayBuffer[] = []
  const started = performance.now()
  for (let set = 0; set < count; set++) {
    for (const size of sizes) held.push(new SharedArrayBuffer(size))
  }
  const elapsedMs = performance.now() - started
  const sharedBytes = held.reduce((total, buffer) => total + buffer.byteLength, 0)
  held.length = 0
  return { createTopicMs: Math.round(elapsedMs * 10) / 10, sharedBytes }
}
