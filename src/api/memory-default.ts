import { totalmem } from 'node:os'

/**
 * The default `maxMemoryBytes`: half of the memory this process may use (the machine's, or a
 * container's limit when one is set). Partition logs are SharedArrayBuffers, outside every V8
 * heap, so no heap limit stops them: the budget is what keeps them from the memory the
 * embedding application, each thread's heap and the system need, and half leaves them that
 * much. Pages are committed only as a ring fills, but a ring wraps, so a busy log comes to
 * hold all of it.
 */
export function defaultMaxMemoryBytes(): number {
  const machine = totalmem()
  // 0 when unknown, and a huge number (2^64) when no container limit applies.
  const constrained = process.constrainedMemory()
  const limit = constrained > 0 && constrained < machine ? constrained : machine
  return Math.floor(limit / 2)
}
