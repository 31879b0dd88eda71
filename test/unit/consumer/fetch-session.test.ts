import { afterEach, describe, expect, it } from 'vitest'
import { MetadataCache } from '../../../src/actors/client/metadata-cache.js'
import { FetchSession } from '../../../src/actors/consumer/fetch-session.js'
import type { SupervisorRequest } from '../../../src/actors/supervisor/supervisor-protocol.js'
import type { Replier } from '../../../src/runtime/actor/actor-definition.js'
import { type ActorRef, ActorSystem, defineActor, SystemClock } from '../../../src/runtime/index.js'
import { PartitionLog } from '../../../src/runtime/log/partition-log.js'

const systems: ActorSystem[] = []
afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.stop()))
})

/**
 * A controller that knows one empty partition and answers metadata only when told to, so a
 * test can act while a fetch round waits on its answer.
 */
function slowController(system: ActorSystem) {
  const log = new PartitionLog({ capacity: 4096 })
  const changes = new Int32Array(new SharedArrayBuffer(4)).fill(1)
  const waiting: Replier[] = []
  let holdAnswers = false
  const answer = () => ({
    version: Atomics.load(changes, 0),
    changes: changes.buffer,
    controllerId: -1,
    brokers: [],
    topics: [
      {
        topic: 't',
        partitions: [
          { partition: 0, leader: -1, replicas: [], isr: [], leaderEpoch: 0, log: log.handle() },
        ],
      },
    ],
    missing: [],
  })
  const ref = system.spawn(
    defineActor<SupervisorRequest, null>({
      parseMessage: (value) => value as SupervisorRequest,
      init: () => null,
      receive: (state, _message, context) => {
        if (holdAnswers) waiting.push(context.deferReply())
        else context.reply(answer())
        return state
      },
    }),
    { name: 'supervisor', args: undefined },
  )
  return {
    ref: ref as ActorRef<SupervisorRequest>,
    /** Publishes a new metadata version and holds the answers to the asks it brings. */
    publishAndHold() {
      holdAnswers = true
      Atomics.add(changes, 0, 1)
    },
    asksHeld: () => waiting.length,
    release() {
      holdAnswers = false
      for (const replier of waiting.splice(0)) replier.resolve(answer())
    },
  }
}

describe('FetchSession', () => {
  it('ends a round at once when interrupted while it was still asking for metadata', async () => {
    const system = ActorSystem.start({ clock: new SystemClock() })
    systems.push(system)
    const controller = slowController(system)
    const session = new FetchSession({
      metadata: new MetadataCache(controller.ref, system.clock),
      clock: system.clock,
      isPaused: () => false,
      // Far past the test's own deadline: only the interrupt can end this round in time.
      maxWaitTimeMs: 600_000,
      maxBytes: 1 << 20,
      maxBytesPerPartition: 1 << 20,
      metadataMaxAgeMs: 600_000,
      refreshBackoffMs: 1,
    })
    await session.assign([{ topic: 't', partition: 0, start: 'earliest', policy: 'earliest' }])
    controller.publishAndHold()
    const round = session.fetch(false)
    while (controller.asksHeld() === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    // A rebalance wants the round over before the metadata answer even came.
    session.interrupt()
    controller.release()
    expect(await round).toEqual([])
    session.close()
  })
})
