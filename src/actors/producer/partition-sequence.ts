import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { ProduceResponse } from '../broker/broker-protocol.js'

/**
 * Kafka's bound on an idempotent producer's unacknowledged batches per partition: the leader
 * remembers a producer's last five batches, so a retry of any of them is still recognised.
 */
export const MAX_UNACKNOWLEDGED_BATCHES = 5

type BatchState =
  /** Not asking to go: before its first attempt, or while its retry waits out its backoff. */
  | 'idle'
  /** Asking to go, and waiting for its turn. */
  | 'queued'
  | 'in-flight'
  | 'acknowledged'
  /** Given up on: its error is its outcome. */
  | 'failed'

type Outcome =
  | { readonly ok: true; readonly response: ProduceResponse }
  | { readonly ok: false; readonly error: unknown }

interface SequencedBatch {
  readonly baseSequence: number
  readonly bytes: Uint8Array
  state: BatchState
  /** Sent before: sent again, it goes alone, once every earlier batch is acknowledged. */
  sent: boolean
  turn: { readonly resolve: () => void; readonly reject: (error: unknown) => void } | undefined
  outcome: Outcome | undefined
  readonly settle: {
    readonly resolve: (response: ProduceResponse) => void
    readonly reject: (error: unknown) => void
  }
}

export interface PartitionSequenceOptions {
  /** `topic-partition`, for errors. */
  readonly partitionName: string
  /** Batches sent and not yet acknowledged, at most (at most MAX_UNACKNOWLEDGED_BATCHES). */
  readonly maxInFlight: number
  /** One attempt at one batch: the produce request to the partition's leader. */
  readonly send: (batch: Uint8Array) => Promise<ProduceResponse>
  /** The retry policy of one batch (budget, backoff, metadata refresh before a retry). */
  readonly retrying: <T>(attempt: () => Promise<T>) => Promise<T>
  /** Called once, when a batch is given up on: the sequence has a gap nothing can fill. */
  readonly onBroken: () => void
}

const isOutOfOrder = (error: unknown) =>
  error instanceof KafkaProtocolError && error.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER'

/**
 * One partition's batches from an idempotent producer under one epoch: each gets its sequence
 * numbers once, when it is encoded, and up to `maxInFlight` go out pipelined. The leader
 * appends a batch only right after the one before it, so order holds through retries as long
 * as batches are sent in sequence order: when one fails, the later ones in flight come back
 * OUT_OF_ORDER_SEQUENCE_NUMBER (or acknowledged, when the failed one had landed after all), and
 * from then on a batch sent before goes again only alone, once every earlier batch is
 * acknowledged — Kafka's producer does the same. Callers hear of their batches in sequence
 * order. A batch given up on (retries spent, or an error no retry cures) leaves a gap: the later
 * batches fail too, and the producer must start a new epoch.
 */
export class PartitionSequence {
  /** From the oldest batch whose caller has not heard yet, in sequence order. */
  readonly #batches: SequencedBatch[] = []
  #nextSequence = 0
  #inFlight = 0
  /**
   * Whether the leader has acknowledged a batch of ours. Until it has, it takes any sequence
   * from us (as Kafka's leader does, as retention may have removed all it knew of a producer),
   * so the first batch goes alone: a later one landing before it would leave a gap behind.
   */
  #known = false
  /** The first batch given up on, and why: no later batch can be written. */
  #gap: { readonly baseSequence: number; readonly error: unknown } | undefined
  readonly #whenIdle: (() => void)[] = []

  constructor(private readonly options: PartitionSequenceOptions) {}

  /**
   * Encodes a batch of `recordCount` records with its base sequence and delivers it; resolves
   * with the leader's answer to it, after the answers to every earlier batch.
   */
  add(recordCount: number, encode: (baseSequence: number) => Uint8Array): Promise<ProduceResponse> {
    const baseSequence = this.#nextSequence
    const bytes = encode(baseSequence)
    this.#nextSequence += recordCount
    return new Promise<ProduceResponse>((resolve, reject) => {
      const batch: SequencedBatch = {
        baseSequence,
        bytes,
        state: 'idle',
        sent: false,
        turn: undefined,
        outcome: undefined,
        settle: { resolve, reject },
      }
      this.#batches.push(batch)
      this.options
        .retrying(() => this.#attempt(batch))
        .then(
          (response) => this.#settled(batch, { ok: true, response }),
          (error: unknown) => {
            this.#giveUp(batch, error)
            this.#settled(batch, { ok: false, error })
          },
        )
    })
  }

  /** Resolves once every batch added so far has been answered to its caller. */
  idle(): Promise<void> {
    if (this.#batches.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.#whenIdle.push(resolve))
  }

  async #attempt(batch: SequencedBatch): Promise<ProduceResponse> {
    for (;;) {
      await this.#turnOf(batch)
      try {
        const response = await this.options.send(batch.bytes)
        batch.state = 'acknowledged'
        this.#known = true
        return response
      } catch (error) {
        batch.state = 'idle'
        // Refused for a gap an earlier batch leaves until it is written: this one goes again
        // after it, without spending a retry of its own.
        if (!(isOutOfOrder(error) && this.#waitsOnEarlier(batch))) throw error
      } finally {
        this.#inFlight--
        this.#pump()
      }
    }
  }

  #turnOf(batch: SequencedBatch): Promise<void> {
    const gap = this.#gapBefore(batch)
    if (gap !== undefined) return Promise.reject(gap)
    batch.state = 'queued'
    const turn = new Promise<void>((resolve, reject) => {
      batch.turn = { resolve, reject }
    })
    this.#pump()
    return turn
  }

  /**
   * Sends, in sequence order, what may go: a batch never sent once every earlier batch is in
   * flight or acknowledged and it is within the window; one sent before only when nothing is in
   * flight and every earlier batch is acknowledged.
   */
  #pump(): void {
    const end = Math.min(this.#batches.length, this.#known ? this.options.maxInFlight : 1)
    let earlierAcknowledged = true
    for (let index = 0; index < end; index++) {
      const batch = this.#batches[index] as SequencedBatch
      if (
        batch.state === 'queued' &&
        (!batch.sent || (earlierAcknowledged && this.#inFlight === 0))
      ) {
        batch.state = 'in-flight'
        batch.sent = true
        this.#inFlight++
        batch.turn?.resolve()
        batch.turn = undefined
      }
      if (batch.state !== 'in-flight' && batch.state !== 'acknowledged') return
      earlierAcknowledged &&= batch.state === 'acknowledged'
    }
  }

  #waitsOnEarlier(batch: SequencedBatch): boolean {
    for (const earlier of this.#batches) {
      if (earlier === batch) return false
      if (earlier.state !== 'acknowledged') return true
    }
    return false
  }

  #giveUp(batch: SequencedBatch, error: unknown): void {
    batch.state = 'failed'
    if (this.#gap !== undefined && this.#gap.baseSequence < batch.baseSequence) return
    const first = this.#gap === undefined
    this.#gap = { baseSequence: batch.baseSequence, error }
    for (const later of this.#batches) {
      const gap = this.#gapBefore(later)
      if (later.state !== 'queued' || gap === undefined) continue
      later.state = 'idle'
      later.turn?.reject(gap)
      later.turn = undefined
    }
    if (first) this.options.onBroken()
  }

  /** Why `batch` cannot be written, when a batch before it was given up on. */
  #gapBefore(batch: SequencedBatch): KafkaProtocolError | undefined {
    const gap = this.#gap
    if (gap === undefined || batch.baseSequence <= gap.baseSequence) return undefined
    return new KafkaProtocolError(
      'OUT_OF_ORDER_SEQUENCE_NUMBER',
      `${this.options.partitionName}: the batch at sequence ${batch.baseSequence} cannot follow the one at ${gap.baseSequence}, which failed`,
      { cause: gap.error },
    )
  }

  #settled(batch: SequencedBatch, outcome: Outcome): void {
    batch.outcome = outcome
    // Callers hear in sequence order, as Kafka's callbacks for one partition run.
    for (let first = this.#batches[0]; first?.outcome !== undefined; first = this.#batches[0]) {
      this.#batches.shift()
      if (first.outcome.ok) first.settle.resolve(first.outcome.response)
      else first.settle.reject(first.outcome.error)
    }
    if (this.#batches.length === 0) for (const resolve of this.#whenIdle.splice(0)) resolve()
    this.#pump()
  }
}
