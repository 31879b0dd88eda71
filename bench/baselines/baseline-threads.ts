import { MessageChannel, type Worker } from 'node:worker_threads'
import { spawnThread } from '../../src/runtime/thread/spawn-thread.js'
import { type HandOff, isReady } from './baseline-protocol.js'
import { createSpscRing } from './spsc-ring.js'
import { nextMessage } from './thread-messages.js'

/*
 * Runs the threads of a baseline, each fresh: all start, all say ready, all get their go
 * together (the last in line first, so that each is listening before anything reaches it),
 * and their `done` messages come back in line order (parsed by the caller), after which every
 * thread ends.
 *
 * The lines:
 *   ring    sender → a bare SAB ring → receiver
 *   port    sender → one postMessage per record → receiver
 *   relay   sender → one postMessage per batch → relay → a bare SAB ring → receiver, the
 *           relay answering each batch: the least any design with a broker thread between
 *           producer and consumer does
 */

export type HandOffKind = 'ring' | 'port' | 'relay'

const RING_CAPACITY = 4 << 20

/** Each thread's hand-off, in line order. */
function handOffs(kind: HandOffKind): HandOff[] {
  if (kind === 'ring') {
    const ring = createSpscRing(RING_CAPACITY)
    return [
      { kind: 'ring', ring },
      { kind: 'ring', ring },
    ]
  }
  const { port1, port2 } = new MessageChannel()
  if (kind === 'port') {
    return [
      { kind: 'port', port: port1 },
      { kind: 'port', port: port2 },
    ]
  }
  const ring = createSpscRing(RING_CAPACITY)
  return [
    { kind: 'batches', port: port1 },
    { kind: 'relay', port: port2, ring },
    { kind: 'ring', ring },
  ]
}

/**
 * Starts one thread per config, in line order, each given its hand-off; resolves with their
 * `done` messages in the same order. The line must have as many configs as `kind` has threads.
 */
export async function runBaselineThreads(
  entry: URL,
  kind: HandOffKind,
  configs: readonly object[],
): Promise<unknown[]> {
  const line = handOffs(kind)
  if (configs.length !== line.length) {
    throw new Error(`a ${kind} baseline runs ${line.length} threads, not ${configs.length}`)
  }
  const workers: Worker[] = []
  try {
    const ready = await Promise.all(
      line.map((handOff, index) => {
        const transferList = 'port' in handOff ? [handOff.port] : []
        const worker = spawnThread(entry, {
          workerData: { ...configs[index], handOff },
          transferList,
        })
        workers.push(worker)
        return nextMessage(worker)
      }),
    )
    if (!ready.every(isReady)) throw new Error('a baseline thread did not start')
    const results = Promise.all(workers.map((worker) => nextMessage(worker)))
    for (const worker of [...workers].reverse()) worker.postMessage('go')
    return await results
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}
