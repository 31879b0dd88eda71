import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ProduceResponse } from '../../../src/actors/broker/broker-protocol.js'
import {
  type BatchIdentity,
  batchIdentity,
  ProducerStateTable,
} from '../../../src/actors/broker/producer-state.js'
import {
  MAX_UNACKNOWLEDGED_BATCHES,
  PartitionSequence,
} from '../../../src/actors/producer/partition-sequence.js'
import { AskTimeoutError } from '../../../src/runtime/errors/actor-errors.js'
import { KafkaProtocolError, SamsaError } from '../../../src/runtime/errors/samsa-error.js'
import { encodeRecordBatch } from '../../../src/runtime/log/record-batch-codec.js'
import { propertySeed } from '../log/seed.js'

/** What happens to one produce request. */
type Fate = 'delivered' | 'duplicated' | 'request-lost' | 'reply-lost' | 'not-leader'

const turn = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A batch of one record whose value is its sequence number, from producer 7 epoch 0. */
const encodeOne = (baseSequence: number) =>
  encodeRecordBatch({
    records: [{ key: null, value: Buffer.from(String(baseSequence)) }],
    timestamp: 1,
    producerId: 7,
    producerEpoch: 0,
    baseSequence,
  })

/**
 * A partition leader with the broker's own producer-state rules, reached over a link whose
 * faults a test decides: requests arrive in the order they are sent, some twice; a lost
 * request or reply times out a turn later.
 */
class ModelLeader {
  readonly log: number[] = []
  readonly sent: number[] = []
  readonly #producers = new ProducerStateTable()

  constructor(private readonly fateOf: (attempt: number) => Fate) {}

  send = (batch: Uint8Array): Promise<ProduceResponse> => {
    const identity = batchIdentity(batch)
    if (identity === undefined) throw new Error('the model takes idempotent batches only')
    const fate = this.fateOf(this.sent.length)
    this.sent.push(identity.baseSequence)
    const timeout = () =>
      turn().then(() => Promise.reject(new AskTimeoutError('no reply within the deadline')))
    if (fate === 'request-lost') return timeout()
    if (fate === 'not-leader') {
      return turn().then(() =>
        Promise.reject(new KafkaProtocolError('NOT_LEADER_OR_FOLLOWER', 'moved')),
      )
    }
    const answer = this.#append(identity)
    if (fate === 'duplicated') this.#append(identity)
    if (fate === 'reply-lost') return timeout()
    return turn().then(() => answer())
  }

  /** Appends the batch, or finds it already in; the reply, to give when the link delivers it. */
  #append(identity: BatchIdentity): () => ProduceResponse {
    try {
      const check = this.#producers.check(identity)
      let baseOffset: number
      if (check.kind === 'duplicate') baseOffset = check.baseOffset
      else {
        baseOffset = this.log.length
        this.log.push(identity.baseSequence)
        this.#producers.recordAppended(identity, baseOffset)
      }
      return () => ({ baseOffset, logAppendTime: -1, logStartOffset: 0 })
    } catch (error) {
      return () => {
        throw error
      }
    }
  }
}

/** KafkaJS's policy in small: retriable errors are retried, up to `retries` times. */
const retrying =
  (retries: number) =>
  async <T>(attempt: () => Promise<T>): Promise<T> => {
    for (let retry = 0; ; retry++) {
      try {
        return await attempt()
      } catch (error) {
        if (!(error instanceof SamsaError && error.retriable) || retry >= retries) throw error
        await turn()
      }
    }
  }

function sequenceOver(leader: ModelLeader, options: { retries?: number; onBroken?: () => void }) {
  return new PartitionSequence({
    partitionName: 't-0',
    maxInFlight: MAX_UNACKNOWLEDGED_BATCHES,
    send: leader.send,
    retrying: retrying(options.retries ?? 10),
    onBroken: options.onBroken ?? (() => {}),
  })
}

/** Adds `count` one-record batches; records in which order their callers hear. */
function addBatches(sequence: PartitionSequence, count: number) {
  const heard: number[] = []
  const outcomes = Array.from({ length: count }, (_, index) =>
    sequence.add(1, encodeOne).then(
      (response) => {
        heard.push(index)
        return response.baseOffset
      },
      (error: unknown) => {
        heard.push(index)
        throw error
      },
    ),
  )
  return { heard, outcomes }
}

describe('PartitionSequence', () => {
  it('sends the first batch alone, then keeps five in flight', async () => {
    const leader = new ModelLeader(() => 'delivered')
    const sequence = sequenceOver(leader, {})
    const { outcomes } = addBatches(sequence, 7)
    await Promise.resolve()
    expect(leader.sent).toEqual([0])
    await outcomes[0]
    expect(leader.sent).toEqual([0, 1, 2, 3, 4, 5])
    await outcomes[1]
    expect(leader.sent).toEqual([0, 1, 2, 3, 4, 5, 6])
    expect(await Promise.all(outcomes)).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it('resends a lost batch and the ones refused after it, alone and in order, each once in the log', async () => {
    // The second request is lost: the three after it find a gap (OUT_OF_ORDER_SEQUENCE_NUMBER).
    const leader = new ModelLeader((attempt) => (attempt === 1 ? 'request-lost' : 'delivered'))
    const sequence = sequenceOver(leader, {})
    const { heard, outcomes } = addBatches(sequence, 6)
    expect(await Promise.all(outcomes)).toEqual([0, 1, 2, 3, 4, 5])
    expect(leader.sent).toEqual([0, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5])
    expect(leader.log).toEqual([0, 1, 2, 3, 4, 5])
    expect(heard).toEqual([0, 1, 2, 3, 4, 5])
  })

  it('answers a batch whose acknowledgement was lost from the original append, later ones kept', async () => {
    const leader = new ModelLeader((attempt) => (attempt === 1 ? 'reply-lost' : 'delivered'))
    const sequence = sequenceOver(leader, {})
    const { heard, outcomes } = addBatches(sequence, 5)
    expect(await Promise.all(outcomes)).toEqual([0, 1, 2, 3, 4])
    expect(leader.sent).toEqual([0, 1, 2, 3, 4, 1])
    expect(leader.log).toEqual([0, 1, 2, 3, 4])
    expect(heard).toEqual([0, 1, 2, 3, 4])
  })

  it('fails the batches after one given up on, and asks once for a new epoch', async () => {
    let broken = 0
    const leader = new ModelLeader((attempt) => (attempt === 0 ? 'delivered' : 'request-lost'))
    const sequence = sequenceOver(leader, { retries: 2, onBroken: () => broken++ })
    const { heard, outcomes } = addBatches(sequence, 4)
    const settled = await Promise.allSettled(outcomes)
    expect(settled.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'rejected',
    ])
    const refused = settled[2] as PromiseRejectedResult
    expect(refused.reason).toMatchObject({ type: 'OUT_OF_ORDER_SEQUENCE_NUMBER' })
    expect(broken).toBe(1)
    expect(leader.log).toEqual([0])
    expect(heard).toEqual([0, 1, 2, 3])
    await expect(sequence.idle()).resolves.toBeUndefined()
  })

  it('takes a gap at the head for what it is: no retry cures it', async () => {
    const leader = new ModelLeader(() => 'delivered')
    let broken = 0
    const sequence = sequenceOver(leader, { onBroken: () => broken++ })
    await leader.send(encodeOne(0))
    // The leader has sequence 0 and nothing after it: a batch at 2 leaves a gap for good.
    await expect(sequence.add(1, () => encodeOne(2))).rejects.toMatchObject({
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    })
    expect(leader.sent).toEqual([0, 2])
    expect(broken).toBe(1)
  })

  it('writes every batch once, in order, whatever requests and replies are lost or repeated (property)', async () => {
    const fate = fc.constantFrom<Fate>(
      'delivered',
      'duplicated',
      'request-lost',
      'reply-lost',
      'not-leader',
    )
    await fc.assert(
      fc.asyncProperty(
        fc.array(fate, { maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 12 }),
        async (fates, maxInFlight, count) => {
          const leader = new ModelLeader((attempt) => fates[attempt] ?? 'delivered')
          let broken = 0
          const sequence = new PartitionSequence({
            partitionName: 't-0',
            maxInFlight,
            send: leader.send,
            retrying: retrying(50),
            onBroken: () => broken++,
          })
          const { heard, outcomes } = addBatches(sequence, count)
          const offsets = await Promise.all(outcomes)
          expect(broken).toBe(0)
          const indexes = Array.from({ length: count }, (_, index) => index)
          expect(leader.log).toEqual(indexes)
          expect(offsets).toEqual(indexes)
          expect(heard).toEqual(indexes)
        },
      ),
      { seed: propertySeed(), numRuns: 300 },
    )
  })
})
