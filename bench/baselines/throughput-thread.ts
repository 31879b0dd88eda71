import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import { parseThroughputThreadConfig, type ThroughputDone } from './baseline-protocol.js'
import { SpscRing } from './spsc-ring.js'

/*
 * One end of a throughput baseline (see throughput-baselines.ts). The writer hands records
 * over for `durationMs`, as fast as the hand-off takes them; the reader takes each one (a copy
 * out of the ring, or a structured clone through the port) and keeps a checksum of what it saw.
 */

const parent = parentPort as MessagePort
const config = parseThroughputThreadConfig(workerData)
const control = new Int32Array(config.control)
const WRITTEN = 0
const SPIN = 2000
/** postMessage: records posted per turn, and how many may wait unread before the writer waits. */
const CHUNK = 1000
const WINDOW = 20_000

const records = Array.from({ length: 256 }, (_, index) =>
  new Uint8Array(config.recordSize).fill(index),
)

function done(result: ThroughputDone): void {
  parent.postMessage({ type: 'done', ...result })
}

function ringWriter(ring: SpscRing): void {
  const start = performance.now()
  let written = 0
  let from = 0
  while (performance.now() - start < config.durationMs) {
    const count = ring.write(records, from)
    if (count === 0) {
      const head = ring.head()
      for (let spin = 0; spin < SPIN && ring.head() === head; spin++);
      if (ring.head() === head) ring.waitForHead(head, 1)
      continue
    }
    written += count
    from = (from + count) & 255
  }
  Atomics.store(control, WRITTEN, written)
  done({ records: written, elapsedMs: performance.now() - start, checksum: 0 })
}

function ringReader(ring: SpscRing): void {
  const into = new Uint8Array(config.recordSize)
  let checksum = 0
  const onRecord = (length: number): void => {
    checksum = (checksum + length + (into[0] as number)) | 0
  }
  const start = performance.now()
  let read = 0
  for (;;) {
    const count = ring.read(into, onRecord)
    read += count
    if (count > 0) continue
    const written = Atomics.load(control, WRITTEN)
    if (written >= 0 && read === written) break
    const tail = ring.tail()
    for (let spin = 0; spin < SPIN && ring.tail() === tail; spin++);
    if (ring.tail() === tail) ring.waitForTail(tail, 1)
  }
  done({ records: read, elapsedMs: performance.now() - start, checksum })
}

/** What one writes by hand: one postMessage per record, acknowledged in chunks. */
async function portWriter(port: MessagePort): Promise<void> {
  let acknowledged = 0
  let wake: (() => void) | undefined
  port.on('message', (count: unknown) => {
    if (typeof count === 'number') acknowledged = count
    wake?.()
  })
  const start = performance.now()
  let sent = 0
  while (performance.now() - start < config.durationMs) {
    if (sent - acknowledged >= WINDOW) {
      // Acknowledgements arrive as events: only a wait lets them in.
      await new Promise<void>((resolve) => {
        wake = resolve
      })
      continue
    }
    for (let index = 0; index < CHUNK; index++) port.postMessage(records[(sent + index) & 255])
    sent += CHUNK
  }
  port.postMessage({ end: sent })
  done({ records: sent, elapsedMs: performance.now() - start, checksum: 0 })
}

function portReader(port: MessagePort): void {
  let received = 0
  let checksum = 0
  const start = performance.now()
  port.on('message', (message: unknown) => {
    if (message instanceof Uint8Array) {
      received++
      checksum = (checksum + message.length + (message[0] as number)) | 0
      if (received % CHUNK === 0) port.postMessage(received)
      return
    }
    // The end marker comes after every record: a port delivers in order.
    port.close()
    done({ records: received, elapsedMs: performance.now() - start, checksum })
  })
}

parent.once('message', () => {
  const { handOff } = config
  if (handOff.kind === 'ring') {
    const ring = new SpscRing(handOff.ring)
    if (config.role === 'writer') ringWriter(ring)
    else ringReader(ring)
  } else if (handOff.kind !== 'port') {
    throw new Error(`the throughput baselines have no ${handOff.kind} hand-off`)
  } else if (config.role === 'writer') {
    void portWriter(handOff.port)
  } else {
    portReader(handOff.port)
  }
})
parent.postMessage({ type: 'ready' })
