import type { ProducerIdentity } from '../supervisor/supervisor-protocol.js'
import type { PartitionSequence } from './partition-sequence.js'

/** The largest producer epoch (an int16): past it, a producer takes a new id instead. */
const MAX_PRODUCER_EPOCH = 32_767

/** An idempotent producer's id and epoch, and its partitions' sequences under that epoch. */
export interface Generation {
  readonly identity: ProducerIdentity
  readonly sequences: Map<string, PartitionSequence>
  /** A batch given up on: batches from now on wait for the next epoch. */
  retired: boolean
}

/**
 * Which producer id and epoch an idempotent producer's batches carry: asked for once, and
 * moved on when a batch is given up on.
 */
export class ProducerGenerations {
  #generation: Promise<Generation> | undefined
  /** What `#generation` resolved to, once it has. */
  #adopted: Generation | undefined

  /** `initProducerId`: a fresh id and epoch (from the controller, or the transaction's coordinator). */
  constructor(private readonly initProducerId: () => Promise<ProducerIdentity>) {}

  /** The generation batches are encoded with now, once known without waiting. */
  get adopted(): Generation | undefined {
    return this.#adopted
  }

  /** The generation batches are encoded with now (the id asked for once). */
  current(): Promise<Generation> {
    return this.#generation ?? this.#adopt(this.#fresh())
  }

  /** Forgets the id and epoch: the next batch takes them anew (a transactional re-init). */
  reset(): void {
    this.#generation = undefined
    this.#adopted = undefined
  }

  /**
   * A batch was given up on, so a partition's sequence has a gap no retry fills (and whether
   * that batch is in the log cannot be known). As Kafka's idempotent producer does (KIP-360),
   * go on under the next epoch of the same producer id, every partition's sequence from 0
   * again — once every batch under this epoch is answered, so that none is retried after a
   * batch of the new epoch, which the leader would take for a zombie's.
   */
  nextEpoch(retiring: Generation): void {
    if (retiring.retired) return
    retiring.retired = true
    const { producerId, producerEpoch } = retiring.identity
    const sequences = [...retiring.sequences.values()]
    this.#adopt(
      Promise.all(sequences.map((sequence) => sequence.idle())).then(() =>
        producerEpoch < MAX_PRODUCER_EPOCH
          ? {
              identity: { producerId, producerEpoch: producerEpoch + 1 },
              sequences: new Map(),
              retired: false,
            }
          : this.#fresh(),
      ),
    )
  }

  #fresh(): Promise<Generation> {
    return this.initProducerId().then((identity) => ({
      identity,
      sequences: new Map(),
      retired: false,
    }))
  }

  #adopt(next: Promise<Generation>): Promise<Generation> {
    this.#generation = next
    this.#adopted = undefined
    next.then(
      (generation) => {
        if (this.#generation === next) this.#adopted = generation
      },
      () => {
        // A failed start is not kept: the next batch asks again.
        if (this.#generation === next) this.#generation = undefined
      },
    )
    return next
  }
}
