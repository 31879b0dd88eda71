import { InvalidArgumentError } from '../../runtime/errors/samsa-error.js'

/** A record key as producers hand it over: strings hash by their UTF-8 bytes. */
export type PartitionKey = string | Uint8Array | null | undefined

const MURMUR2_SEED = 0x9747b28c
const MURMUR2_MULTIPLIER = 0x5bd1e995
const MURMUR2_SHIFT = 24

/**
 * Kafka's murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), the hash every Java-compatible
 * client partitions keys with. Returns Java's signed 32-bit int, so results compare directly
 * with numbers printed by the Java client. `Math.imul` keeps each product in 32 bits as Java's
 * int arithmetic does; plain `*` would lose the low bits to float rounding.
 */
export function murmur2(bytes: Uint8Array, length = bytes.length): number {
  let hash = MURMUR2_SEED ^ length
  const wholeWordsEnd = length & ~3

  for (let index = 0; index < wholeWordsEnd; index += 4) {
    let word =
      bytes[index]! |
      (bytes[index + 1]! << 8) |
      (bytes[index + 2]! << 16) |
      (bytes[index + 3]! << 24)
    word = Math.imul(word, MURMUR2_MULTIPLIER)
    word ^= word >>> MURMUR2_SHIFT
    word = Math.imul(word, MURMUR2_MULTIPLIER)
    hash = Math.imul(hash, MURMUR2_MULTIPLIER) ^ word
  }

  const tailLength = length & 3
  if (tailLength > 0) {
    if (tailLength === 3) hash ^= bytes[wholeWordsEnd + 2]! << 16
    if (tailLength >= 2) hash ^= bytes[wholeWordsEnd + 1]! << 8
    hash ^= bytes[wholeWordsEnd]!
    hash = Math.imul(hash, MURMUR2_MULTIPLIER)
  }

  hash ^= hash >>> 13
  hash = Math.imul(hash, MURMUR2_MULTIPLIER)
  hash ^= hash >>> 15
  return hash
}

/**
 * Kafka's `Utils.toPositive`: clears the sign bit rather than taking the absolute value, so that
 * -2^31 maps into range and the result matches the Java client bit for bit.
 */
export const toPositive = (value: number): number => value & 0x7fffffff

/** Where string keys are encoded for hashing: reused, so a keyed record allocates nothing. */
let keyScratch = Buffer.allocUnsafeSlow(256)

/** The Java client's and KafkaJS's keyed choice: the same key lands on the same partition. */
export function partitionForKey(key: string | Uint8Array, numPartitions: number): number {
  if (typeof key !== 'string') return toPositive(murmur2(key)) % numPartitions
  const length = Buffer.byteLength(key, 'utf8')
  if (length > keyScratch.length) keyScratch = Buffer.allocUnsafeSlow(length * 2)
  keyScratch.write(key, 0, length, 'utf8')
  return toPositive(murmur2(keyScratch, length)) % numPartitions
}

export interface PartitionRequest {
  readonly topic: string
  readonly key?: PartitionKey
  /** A partition the caller named: it wins over the key, as in KafkaJS and the Java client. */
  readonly partition?: number | null
  readonly numPartitions: number
  /**
   * Partitions that have a leader right now. Null-key records rotate over these only (as
   * KafkaJS does over partitions whose leader is known); all partitions when absent or empty.
   */
  readonly availablePartitions?: readonly number[]
}

export interface DefaultPartitionerOptions {
  /**
   * Where a topic's round-robin counter starts. KafkaJS starts each at a random 32-bit number so
   * that many producers do not all begin on the same partition; pass a seeded source for that,
   * or keep the default (0) for runs that must replay exactly.
   */
  readonly counterStart?: (topic: string) => number
}

/**
 * KafkaJS's `Partitioners.DefaultPartitioner` (the Java client's pre-2.4 DefaultPartitioner):
 * explicit partition, else murmur2 of the key over all partitions, else round-robin per topic.
 */
export class DefaultPartitioner {
  readonly #counters = new Map<string, number>()
  readonly #counterStart: (topic: string) => number

  constructor(options: DefaultPartitionerOptions = {}) {
    this.#counterStart = options.counterStart ?? (() => 0)
  }

  choosePartition(request: PartitionRequest): number {
    const { topic, key, partition, numPartitions } = request
    if (!Number.isInteger(numPartitions) || numPartitions < 1) {
      throw new InvalidArgumentError(
        `topic ${topic} must have at least one partition, got ${String(numPartitions)}`,
      )
    }
    if (partition !== null && partition !== undefined) {
      return explicitPartition(topic, partition, numPartitions)
    }
    if (key !== null && key !== undefined) {
      if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
        throw new InvalidArgumentError(
          `a message key for topic ${topic} must be a string or a Buffer, got ${typeof key}`,
        )
      }
      return partitionForKey(key, numPartitions)
    }
    return this.#nextRoundRobin(topic, numPartitions, request.availablePartitions)
  }

  #nextRoundRobin(
    topic: string,
    numPartitions: number,
    availablePartitions: readonly number[] | undefined,
  ): number {
    const counter = this.#counters.get(topic) ?? this.#counterStart(topic)
    // Kept within int32 so the counter never drifts past 2^53 on a long-lived producer;
    // toPositive() reads it as Java's wrapping int would.
    this.#counters.set(topic, (counter + 1) | 0)
    if (availablePartitions !== undefined && availablePartitions.length > 0) {
      return availablePartitions[toPositive(counter) % availablePartitions.length]!
    }
    return toPositive(counter) % numPartitions
  }
}

function explicitPartition(topic: string, partition: number, numPartitions: number): number {
  if (!Number.isInteger(partition) || partition < 0 || partition >= numPartitions) {
    // The Java producer's wording for the same mistake.
    throw new InvalidArgumentError(
      `Invalid partition given with record: ${String(partition)} is not in the range [0...${numPartitions}) of topic ${topic}.`,
    )
  }
  return partition
}
