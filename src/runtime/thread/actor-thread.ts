import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import type { ActorDefinition } from '../actor/actor-definition.js'
import { ActorSystem } from '../actor/actor-system.js'
import { reportTime } from '../clock/time-report.js'
import { VirtualClock } from '../clock/virtual-clock.js'
import { PauseGate, parseParentToThread, type ThreadToParent } from '../transport/control-frames.js'
import { fromPostedFrame } from '../transport/wire-codec.js'
import { parseActorThreadData } from './actor-thread-data.js'

/*
 * The entry of every actor thread: a thin shell that hosts one actor in this thread's own
 * ActorSystem, wires the links the parent hands it, and says it is alive.
 */

const parent = parentPort as MessagePort
const data = parseActorThreadData(workerData)
const clock = data.virtualTime === undefined ? undefined : new VirtualClock(data.virtualTime)
const system = new ActorSystem(data.node, {
  clock,
  seed: data.seed,
  structures: data.structures,
  publishRequests: (records) => toParent({ kind: 'requests-recorded', records }),
})
const toParent = (frame: ThreadToParent) => {
  system.traffic.sent(0)
  parent.postMessage(frame)
}
system.applyFaultRules(data.faultRules)
system.applyRequestSetup(data.requestSetup)

/** Frames that arrive before the actor exists wait, so none meets "no such actor". */
let held: [number, unknown][] | undefined = []
/** Delivers a data frame (now, or once the actor exists); false when `posted` is not one. */
const receiveFrame = (origin: number, posted: unknown): boolean => {
  if (held === undefined) return system.receiveFrame(origin, posted)
  if (fromPostedFrame(posted) === undefined) return false
  held.push([origin, posted])
  return true
}

/** This thread's end of the channel to each other worker thread. */
const peers = new Map<number, MessagePort>()

system.attachNode(0, parent)
parent.on('message', (value: unknown) => {
  if (receiveFrame(0, value)) return
  const frame = parseParentToThread(value)
  // Probes are about the traffic, not part of it.
  if (frame !== undefined && frame.kind !== 'time-probe') system.traffic.received(0)
  switch (frame?.kind) {
    case 'peer':
      peers.get(frame.node)?.close()
      peers.set(frame.node, frame.port)
      system.attachNode(frame.node, frame.port)
      frame.port.on('message', (peerFrame: unknown) => receiveFrame(frame.node, peerFrame))
      return
    case 'node-down':
      // What a dead thread still had on its way is dropped, as the main thread drops it.
      peers.get(frame.node)?.close()
      peers.delete(frame.node)
      system.nodeDown(frame.node, frame.reason)
      return
    case 'time-probe': {
      if (clock === undefined) return
      const { id } = frame
      void reportTime(system, clock).then((report) =>
        parent.postMessage({ kind: 'time-report', id, report } satisfies ThreadToParent),
      )
      return
    }
    case 'pause': {
      // Blocks this thread outright, as a stopped process would be: no messages, no heartbeats.
      const gate = new Int32Array(frame.gate, 0, PauseGate.bytes / 4)
      Atomics.store(gate, PauseGate.stalled, 1)
      Atomics.notify(gate, PauseGate.stalled)
      while (Atomics.load(gate, PauseGate.go) === 0) Atomics.wait(gate, PauseGate.go, 0)
      return
    }
    case 'faults':
      system.applyFaultRules(frame.rules)
      toParent({ kind: 'faults-applied', version: frame.version })
      return
    case 'requests':
      system.applyRequestSetup(frame.setup)
      toParent({ kind: 'requests-applied', version: frame.version })
      return
    case 'collect-requests': {
      const recorder = system.requests.recorder
      // Answered records go first, so the collector has them all when the answer comes.
      recorder?.flush()
      if (frame.clear) recorder?.clear()
      const unanswered = frame.clear ? [] : (recorder?.unanswered() ?? [])
      toParent({ kind: 'requests-collected', id: frame.id, unanswered })
      return
    }
    case undefined:
      return
  }
})

system.on('terminated', (signal) => {
  if (signal.child.name === data.name) toParent({ kind: 'actor-failed', message: signal.reason })
})

const beat = () => {
  toParent({ kind: 'heartbeat' })
  system.clock.schedule(data.heartbeatIntervalMs, beat)
}

function isDefinition(value: unknown): value is ActorDefinition<unknown, unknown, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Record<string, unknown>
  return (
    typeof candidate.parseMessage === 'function' &&
    typeof candidate.init === 'function' &&
    typeof candidate.receive === 'function'
  )
}

try {
  const loaded: Record<string, unknown> = await import(data.module)
  const definition = loaded[data.exportName]
  if (!isDefinition(definition)) {
    throw new TypeError(`${data.module} exports no actor definition named '${data.exportName}'`)
  }
  if (definition.parseArgs === undefined && data.args !== undefined) {
    throw new TypeError(
      `'${data.exportName}' takes arguments from another thread but has no parseArgs`,
    )
  }
  const args = definition.parseArgs ? definition.parseArgs(data.args) : undefined
  system.spawnThreadActor(definition, { name: data.name, args })
  const waiting = held
  held = undefined
  for (const [origin, frame] of waiting) system.receiveFrame(origin, frame)
  toParent({ kind: 'ready' })
  beat()
} catch (error) {
  toParent({
    kind: 'spawn-failed',
    message: error instanceof Error ? error.message : String(error),
  })
}
