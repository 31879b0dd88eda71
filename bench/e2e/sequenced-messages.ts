import type { Message } from '../../src/api/send-arguments.js'

/*
 * What the public-API end-to-end phases send and check. Each message is what a user's code
 * hands to `producer.send`: `{ value }`, a Buffer, no key (so the producer's partitioner
 * spreads the records round-robin). Its value of `recordSize` bytes carries the record's
 * sequence number in the run:
 *
 *   [0, 8)              sequence, uint64 little-endian
 *   [8, size - 4)       filling, FILL
 *   [size - 4, size)    the sequence's low 32 bits again
 *
 * The consumer checks, per partition, that offsets are dense from 0 and sequences increase,
 * and over the run that every sequence arrives exactly once: nothing lost, nothing twice,
 * nothing out of order.
 */

const SEQUENCE_BYTES = 8
const TAIL_BYTES = 4
const FILL = 0xa5
const TWO_32 = 2 ** 32
/** The smallest value that holds a sequence, its copy and one byte of filling. */
export const MIN_SEQUENCED_BYTES = SEQUENCE_BYTES + 1 + TAIL_BYTES
/** How many problems a check lists before it only counts them. */
const PROBLEMS_LISTED = 10

/**
 * The messages of one `send`: sequences [first, first + count), their values cut from one
 * buffer made for this send (the producer may hold the values until it has encoded them).
 */
export function sequencedMessages(first: number, count: number, recordSize: number): Message[] {
  const slab = Buffer.allocUnsafe(count * recordSize).fill(FILL)
  const messages: Message[] = new Array(count)
  for (let index = 0; index < count; index++) {
    const sequence = first + index
    const at = index * recordSize
    slab.writeUInt32LE(sequence % TWO_32, at)
    slab.writeUInt32LE(Math.floor(sequence / TWO_32), at + 4)
    slab.writeUInt32LE(sequence % TWO_32, at + recordSize - TAIL_BYTES)
    messages[index] = { value: slab.subarray(at, at + recordSize) }
  }
  return messages
}

/** The sequence a value carries, or -1 when it is not a value `sequencedMessages` wrote. */
export function sequenceOfValue(value: Buffer | null, recordSize: number): number {
  if (value === null || value.length !== recordSize) return -1
  const low = value.readUInt32LE(0)
  if (value.readUInt32LE(recordSize - TAIL_BYTES) !== low) return -1
  if (value[SEQUENCE_BYTES] !== FILL) return -1
  return value.readUInt32LE(4) * TWO_32 + low
}

/**
 * Checks every record a consumer hands over (`take`), and notes when the last of `records`
 * arrived. Partitions start empty, so a partition's first offset is 0.
 */
export class SequenceCheck {
  readonly #nextOffset: Float64Array
  readonly #lastSequence: Float64Array
  readonly #seen: Uint8Array
  readonly #problems: string[] = []
  #problemCount = 0
  #consumed = 0
  #firstAt: number | undefined
  #completedAt: number | undefined
  #lastProgressAt = performance.now()
  #complete: () => void = () => {}
  readonly #completion = new Promise<void>((resolve) => {
    this.#complete = resolve
  })

  constructor(
    readonly records: number,
    readonly partitions: number,
    readonly recordSize: number,
    /**
     * Whether offsets must follow each other without a gap. A transactional topic's commit
     * markers take offsets that no consumer is handed, so there offsets need only increase.
     */
    readonly denseOffsets = true,
  ) {
    this.#nextOffset = new Float64Array(partitions)
    this.#lastSequence = new Float64Array(partitions).fill(-1)
    this.#seen = new Uint8Array(records)
  }

  get consumed(): number {
    return this.#consumed
  }

  /** When the first record was handed over (`performance.now()`), if one was. */
  get firstAt(): number | undefined {
    return this.#firstAt
  }

  /** When the last of `records` was handed over, once it was. */
  get completedAt(): number | undefined {
    return this.#completedAt
  }

  get problems(): readonly string[] {
    const more = this.#problemCount - this.#problems.length
    return more > 0 ? [...this.#problems, `and ${more} more problems`] : this.#problems
  }

  problem(text: string): void {
    this.#problemCount++
    if (this.#problems.length < PROBLEMS_LISTED) this.#problems.push(text)
  }

  /** One consumed record: its partition, its offset (as KafkaJS gives it) and its value. */
  take(partition: number, offset: string, value: Buffer | null): void {
    const now = performance.now()
    this.#firstAt ??= now
    this.#lastProgressAt = now
    this.#consumed++
    if (!(partition >= 0 && partition < this.partitions)) {
      this.problem(`a record of partition ${partition}, which the topic does not have`)
      return
    }
    const at = Number(offset)
    const expected = this.#nextOffset[partition] as number
    if (this.denseOffsets ? at !== expected : at < expected) {
      this.problem(`partition ${partition}: offset ${offset} came where ${expected} was next`)
    }
    this.#nextOffset[partition] = at + 1
    const sequence = sequenceOfValue(value, this.recordSize)
    if (sequence < 0 || sequence >= this.records) {
      this.problem(`partition ${partition}, offset ${offset}: not a value the producer wrote`)
    } else if (this.#seen[sequence] !== 0) {
      this.problem(`partition ${partition}, offset ${offset}: sequence ${sequence} came twice`)
    } else {
      this.#seen[sequence] = 1
      if (sequence <= (this.#lastSequence[partition] as number)) {
        this.problem(
          `partition ${partition}, offset ${offset}: sequence ${sequence} after ${this.#lastSequence[partition]}`,
        )
      }
      this.#lastSequence[partition] = sequence
    }
    if (this.#consumed === this.records) {
      this.#completedAt = now
      this.#complete()
    } else if (this.#consumed === this.records + 1) {
      this.problem(`more than the ${this.records} records produced were consumed`)
    }
  }

  /**
   * Resolves once every record arrived, or once none has for `idleMs` (noted as a problem, as
   * is `stop` saying the run ended first, for instance because the producer failed).
   */
  async allConsumed(idleMs: number, stopped?: () => string | undefined): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    try {
      while (this.#completedAt === undefined) {
        const reason = stopped?.()
        if (reason !== undefined) {
          this.problem(`${this.#consumed} of ${this.records} records consumed: ${reason}`)
          return
        }
        if (performance.now() - this.#lastProgressAt > idleMs) {
          this.problem(
            `${this.#consumed} of ${this.records} records consumed, then none for ${idleMs} ms`,
          )
          return
        }
        await Promise.race([
          this.#completion,
          new Promise<void>((resolve) => {
            timer = setTimeout(resolve, 100)
          }),
        ])
        clearTimeout(timer)
      }
    } finally {
      clearTimeout(timer)
    }
  }

  /** Counts the idle time from now (a phase that starts later than the check was made). */
  restartIdleClock(): void {
    this.#lastProgressAt = performance.now()
  }
}
