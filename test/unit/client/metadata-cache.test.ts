import { afterEach, describe, expect, it } from 'vitest'
import { MetadataCache } from '../../../src/actors/client/metadata-cache.js'
import type { SupervisorRequest } from '../../../src/actors/supervisor/supervisor-protocol.js'
import { type ActorRef, ActorSystem, defineActor, SystemClock } from '../../../src/runtime/index.js'
import { PartitionLog } from '../../../src/runtime/log/partition-log.js'

const systems: ActorSystem[] = []
afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.stop()))
})

/** A controller with a topic per name in `topics`, counting the metadata asks it answers. */
function controller(topics: string[], malformed = false) {
  const system = ActorSystem.start({ clock: new SystemClock() })
  systems.push(system)
  const log = new PartitionLog({ capacity: 4096 })
  const changes = new Int32Array(new SharedArrayBuffer(4)).fill(1)
  let asks = 0
  const ref = system.spawn(
    defineActor<SupervisorRequest, null>({
      parseMessage: (value) => value as SupervisorRequest,
      init: () => null,
      receive: (state, _message, context) => {
        asks++
        context.reply({
          version: Atomics.load(changes, 0),
          changes: changes.buffer,
          controllerId: 0,
          brokers: malformed ? [{ nodeId: 'zero' }] : [],
          topics: topics.map((topic) => ({
            topic,
            partitions: [
              {
                partition: 0,
                leader: 0,
                replicas: [0],
                isr: [0],
                leaderEpoch: 0,
                log: log.handle(),
              },
            ],
          })),
          missing: [],
        })
        return state
      },
    }),
    { name: 'supervisor', args: undefined },
  )
  return {
    cache: new MetadataCache(ref as ActorRef<SupervisorRequest>, system.clock),
    system,
    asks: () => asks,
    publish: () => Atomics.add(changes, 0, 1),
  }
}

describe('MetadataCache', () => {
  it('asks once for callers that ask together, and not again while the version holds', async () => {
    const { cache, asks } = controller(['a'])
    const [first, second] = await Promise.all([cache.latest(), cache.latest()])
    expect(first).toBe(second)
    expect(asks()).toBe(1)
    expect(await cache.topic('a')).toMatchObject({ topic: 'a' })
    expect(cache.topicNow('a')?.partitions).toHaveLength(1)
    expect(asks()).toBe(1)
  })

  it('asks again once the controller publishes a new version', async () => {
    const { cache, asks, publish } = controller(['a'])
    const before = await cache.latest()
    publish()
    expect(cache.current()).toBeUndefined()
    expect(cache.topicNow('a')).toBeUndefined()
    const after = await cache.latest()
    expect(after.version).toBe(before.version + 1)
    expect(asks()).toBe(2)
  })

  it('names the topics that do not exist, and refuses an unknown one with Kafka’s error', async () => {
    const { cache } = controller(['a', 'b'])
    const found = await cache.topics(['b', 'c'])
    expect(found.topics.map((topic) => topic.topic)).toEqual(['b'])
    expect(found.missing).toEqual(['c'])
    await expect(cache.topic('c')).rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' })
  })

  it('refuses a malformed answer rather than holding it', async () => {
    const { cache } = controller(['a'], true)
    await expect(cache.latest()).rejects.toMatchObject({ name: 'MalformedMessageError' })
    expect(cache.current()).toBeUndefined()
  })

  it('shares one ask between clients, but not one client’s failed ask', async () => {
    const { cache, asks, system } = controller(['a'])
    const steady = cache.askedBy({ from: 'steady' })
    const [first, second] = await Promise.all([
      cache.askedBy({ from: 'other' }).latest(),
      steady.latest(),
    ])
    expect(first).toBe(second)
    expect(asks()).toBe(1)
    system.applyFaultRules([{ from: 'lossy', to: '*', cut: true }])
    const lossy = cache.askedBy({ from: 'lossy', requestTimeoutMs: 50 })
    const lost = lossy.refresh()
    const joined = steady.refresh()
    await expect(lost).rejects.toMatchObject({ name: 'AskTimeoutError' })
    expect((await joined).topics.map((topic) => topic.topic)).toEqual(['a'])
    expect(asks()).toBe(2)
  })
})
