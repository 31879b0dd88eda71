import { afterEach, describe, expect, it } from 'vitest'
import { Cluster, type ClusterOptions } from '../../src/api/cluster.js'
import { KafkaJSNonRetriableError } from '../../src/api/errors.js'
import type { ClusterEvent } from '../../src/api/faults.js'

const clusters: Cluster[] = []
afterEach(async () => {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.stop()))
})

async function startWithTopic(options: ClusterOptions = {}) {
  const cluster = await Cluster.start({ brokers: 1, ...options })
  clusters.push(cluster)
  const admin = cluster.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 't' }] })
  return { cluster, admin }
}

async function connectedProducer(cluster: Cluster, requestTimeout = 5_000) {
  const producer = cluster.producer({ retry: { retries: 0 }, requestTimeout })
  await producer.connect()
  return producer
}

const send = (producer: Awaited<ReturnType<typeof connectedProducer>>, value: string) =>
  producer.send({ topic: 't', messages: [{ value }] })

describe('cluster.faults', () => {
  it('kills a broker keeping its storage; after a restart its log goes on where it was', async () => {
    const { cluster, admin } = await startWithTopic()
    const events: ClusterEvent[] = []
    for (const name of ['broker.killed', 'broker.down', 'broker.restarted']) {
      cluster.on(name, (event) => events.push(event))
    }
    const producer = await connectedProducer(cluster)
    await send(producer, 'a')
    await send(producer, 'b')
    await cluster.faults.killBroker(0, { storage: 'keep' })
    const refused = (await send(producer, 'lost').catch((error: unknown) => error)) as {
      cause?: { type?: string }
    }
    expect(refused.cause?.type).toBe('LEADER_NOT_AVAILABLE')
    await cluster.faults.restartBroker(0)
    await expect(send(producer, 'c')).resolves.toMatchObject([{ baseOffset: '2' }])
    expect(await admin.fetchTopicOffsets('t')).toEqual([
      { partition: 0, offset: '3', high: '3', low: '0' },
    ])
    expect(events.map((event) => event.type)).toEqual([
      'broker.killed',
      'broker.down',
      'broker.restarted',
    ])
    expect(events.every((event) => event.brokerId === 0 && event.timestamp > 0)).toBe(true)
  })

  it('kills a broker losing its storage; after a restart the partition starts empty', async () => {
    const { cluster, admin } = await startWithTopic()
    const producer = await connectedProducer(cluster)
    await send(producer, 'a')
    await cluster.faults.killBroker(0, { storage: 'lose' })
    await cluster.faults.restartBroker(0)
    expect(await admin.fetchTopicOffsets('t')).toEqual([
      { partition: 0, offset: '0', high: '0', low: '0' },
    ])
    await expect(send(producer, 'b')).resolves.toMatchObject([{ baseOffset: '0' }])
  })

  it('stalls a paused broker: a produce waits until it is resumed', async () => {
    const { cluster } = await startWithTopic({ sessionTimeoutMs: 60_000 })
    const producer = await connectedProducer(cluster)
    await send(producer, 'warm-up')
    await cluster.faults.pauseBroker(0)
    let settled = false
    const pending = send(producer, 'held').finally(() => {
      settled = true
    })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(settled).toBe(false)
    cluster.faults.resumeBroker(0)
    await expect(pending).resolves.toMatchObject([{ baseOffset: '1' }])
  })

  it('isolates a broker until healed: requests to it time out, then go through', async () => {
    const { cluster } = await startWithTopic()
    const producer = await connectedProducer(cluster, 300)
    await cluster.faults.isolateBroker(0)
    const timedOut = (await send(producer, 'cut off').catch((error: unknown) => error)) as {
      cause?: { name?: string }
    }
    expect(timedOut.cause?.name).toBe('KafkaJSRequestTimeoutError')
    await cluster.faults.heal()
    await expect(send(producer, 'through')).resolves.toHaveLength(1)
  })

  it('drops produce requests from the seed: the same seed fails the same sends', async () => {
    const outcomes = async (seed: number) => {
      const { cluster } = await startWithTopic({ seed })
      const producer = await connectedProducer(cluster, 150)
      await cluster.faults.setLinkFault({ from: '*', to: 0, drop: 0.5 })
      const results: boolean[] = []
      for (let index = 0; index < 16; index++) {
        results.push(
          await send(producer, `m${index}`).then(
            () => true,
            () => false,
          ),
        )
      }
      return results
    }
    const seed = 99
    const first = await outcomes(seed)
    expect(await outcomes(seed), `seed ${seed}`).toEqual(first)
    expect(first).toContain(true)
    expect(first).toContain(false)
  })

  it('leaves the cluster’s own control traffic alone when the application’s links drop everything', async () => {
    const cluster = await Cluster.start({ brokers: 3 })
    clusters.push(cluster)
    await cluster.faults.setLinkFault({ from: '$outside', to: '*', drop: 1 })
    // The controller's replica creates, its notice of a death and the restart all get through.
    const created = await cluster.supervisor.ask<{ outcome: string }[]>(
      {
        type: 'create-topics',
        topics: [{ topic: 'control', numPartitions: 3, replicationFactor: 3 }],
      },
      { from: '$test' },
    )
    expect(created.map(({ outcome }) => outcome)).toEqual(['done'])
    const elected = new Promise<ClusterEvent>((resolve) =>
      cluster.on('leader.elected', (event) => resolve(event)),
    )
    await cluster.faults.killBroker(0)
    expect(await elected).toMatchObject({ type: 'leader.elected' })
    await cluster.faults.restartBroker(0)
  })

  it('refuses unknown brokers and bad options with typed errors', async () => {
    const { cluster } = await startWithTopic()
    expect(() => cluster.faults.pauseBroker(7)).toThrow(KafkaJSNonRetriableError)
    await expect(
      cluster.faults.killBroker(0, { storage: 'maybe' as 'keep' }),
    ).rejects.toBeInstanceOf(KafkaJSNonRetriableError)
    await expect(cluster.faults.setLinkFault({ from: '*', to: 0, drop: 3 })).rejects.toThrow(
      'probability',
    )
    expect(() => cluster.on('nonsense', () => {})).toThrow(KafkaJSNonRetriableError)
  })
})
