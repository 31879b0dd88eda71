import { MessageChannel, type Worker } from 'node:worker_threads'
import { spawnThread } from '../../src/runtime/thread/spawn-thread.js'
import { type HandOff, isReady } from './baseline-protocol.js'
import { createSpscRing } from './spsc-ring.js'
import { nextMessage } from './thread-messages.js'

/*
 * Runs the two ends of a baseline on two fresh threads: both start, both say ready, both get
 * their go together, and their `done` messages come back (parsed by the caller), after which
 * both threads end.
 */

export type HandOffKind = 'ring' | 'port'

export const RING_CAPACITY = 4 << 20

/** The two ends' hand-offs: one ring both see, or the two ports of a channel. */
function handOffs(kind: HandOffKind): [HandOff, HandOff] {
  if (kind === 'ring') {
    const ring = createSpscRing(RING_CAPACITY)
    return [
      { kind: 'ring', ring },
      { kind: 'ring', ring },
    ]
  }
  const { port1, port2 } = new MessageChannel()
  return [
    { kind: 'port', port: port1 },
    { kind: 'port', port: port2 },
  ]
}

/** Each end's config (without its hand-off, added here); resolves with both `done` messages. */
export async function runThreadPair(
  entry: URL,
  kind: HandOffKind,
  configs: readonly [object, object],
): Promise<[unknown, unknown]> {
  const [first, second] = handOffs(kind)
  const workers: Worker[] = []
  try {
    const start = (config: object, handOff: HandOff) => {
      const transferList = handOff.kind === 'port' ? [handOff.port] : []
      const worker = spawnThread(entry, { workerData: { ...config, handOff }, transferList })
      workers.push(worker)
      return nextMessage(worker)
    }
    const ready = await Promise.all([start(configs[0], first), start(configs[1], second)])
    if (!ready.every(isReady)) throw new Error('a baseline thread did not start')
    const [one, two] = workers as [Worker, Worker]
    const results = Promise.all([nextMessage(one), nextMessage(two)])
    two.postMessage('go')
    one.postMessage('go')
    return await results
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
}
