/**
 * The bytes a consumer group's members exchange through the coordinator, as KafkaJS's
 * `AssignerProtocol` builds them: a member's subscription (Kafka's ConsumerProtocolSubscription)
 * and the assignment the leader hands it (Kafka's ConsumerProtocolAssignment). The layout is
 * Kafka's: int16 version, then big-endian fields with int32-counted arrays, int16-length strings
 * and int32-length bytes (-1 for null).
 */
import { KafkaJSNonRetriableError } from '../errors.js'

/** Some partitions of one topic: how owned partitions travel in a subscription. */
export interface TopicPartitions {
  readonly topic: string
  readonly partitions: readonly number[]
}

/** KafkaJS's `Assignment`: partition ids by topic name. */
export type Assignment = Record<string, number[]>

/** What `MemberMetadata.encode` takes. */
export interface MemberMetadataInput {
  readonly version: number
  readonly topics: readonly string[]
  /** KafkaJS's default is an empty buffer; `null` is Kafka's "no user data". */
  readonly userData?: Uint8Array | null
  /** Written from version 1 on (Kafka's OwnedPartitions); version 0 cannot carry any. */
  readonly ownedPartitions?: readonly TopicPartitions[]
}

/** A decoded subscription. */
export interface MemberMetadata {
  readonly version: number
  readonly topics: string[]
  readonly userData: Buffer | null
  /** Present from version 1 on. */
  readonly ownedPartitions?: TopicPartitions[]
}

/** What `MemberAssignment.encode` takes. */
export interface MemberAssignmentInput {
  readonly version: number
  readonly assignment: Readonly<Record<string, readonly number[]>>
  readonly userData?: Uint8Array | null
}

/** A decoded assignment. */
export interface MemberAssignment {
  readonly version: number
  readonly assignment: Assignment
  readonly userData: Buffer | null
}

const INT16_MAX = 0x7fff
const INT32_MIN = -0x8000_0000
const INT32_MAX = 0x7fff_ffff

/** The newest layouts known here; newer versions only append fields (Kafka's rule). */
const METADATA_LAYOUT_VERSION = 1
const ASSIGNMENT_LAYOUT_VERSION = 2

/** Smallest encodings, so that a garbage count is refused before anything is allocated. */
const MIN_STRING_BYTES = 2
const MIN_INT32_BYTES = 4
const MIN_TOPIC_PARTITIONS_BYTES = MIN_STRING_BYTES + 4

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

class ByteWriter {
  private buffer = Buffer.alloc(64)
  private length = 0

  constructor(private readonly what: string) {}

  int16(value: number, field: string): this {
    if (!Number.isInteger(value) || value < 0 || value > INT16_MAX) {
      throw this.error(`${field} must be an integer from 0 to ${INT16_MAX}, got ${String(value)}`)
    }
    this.reserve(2).writeInt16BE(value, this.length)
    this.length += 2
    return this
  }

  int32(value: number, field: string): this {
    if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
      throw this.error(`${field} must be a 32-bit integer, got ${String(value)}`)
    }
    this.reserve(4).writeInt32BE(value, this.length)
    this.length += 4
    return this
  }

  string(value: string, field: string): this {
    if (typeof value !== 'string') {
      throw this.error(`${field} must be a string, got ${typeof value}`)
    }
    const bytes = Buffer.from(value, 'utf8')
    if (bytes.length > INT16_MAX) {
      throw this.error(`${field} is ${bytes.length} bytes long, more than ${INT16_MAX}`)
    }
    this.int16(bytes.length, field)
    return this.raw(bytes)
  }

  bytes(value: Uint8Array | null, field: string): this {
    if (value === null) return this.int32(-1, field)
    if (!(value instanceof Uint8Array)) {
      throw this.error(`${field} must be a Buffer or null, got ${typeof value}`)
    }
    this.int32(value.length, field)
    return this.raw(value)
  }

  array<T>(items: readonly T[], field: string, writeItem: (item: T, field: string) => void): this {
    if (!Array.isArray(items)) throw this.error(`${field} must be an array`)
    this.int32(items.length, field)
    items.forEach((item, index) => {
      writeItem(item, `${field}[${index}]`)
    })
    return this
  }

  /**
   * An exact-size buffer of its own, not a view of a larger or pooled one: sent to another
   * thread, a view would carry its whole backing memory along.
   */
  finish(): Buffer {
    const encoded = Buffer.alloc(this.length)
    this.buffer.copy(encoded, 0, 0, this.length)
    return encoded
  }

  private raw(bytes: Uint8Array): this {
    this.reserve(bytes.length).set(bytes, this.length)
    this.length += bytes.length
    return this
  }

  private reserve(bytes: number): Buffer {
    const needed = this.length + bytes
    if (needed > this.buffer.length) {
      const grown = Buffer.alloc(Math.max(needed, this.buffer.length * 2))
      this.buffer.copy(grown, 0, 0, this.length)
      this.buffer = grown
    }
    return this.buffer
  }

  private error(message: string): KafkaJSNonRetriableError {
    return new KafkaJSNonRetriableError(`Cannot encode ${this.what}: ${message}`)
  }
}

class ByteReader {
  private offset = 0

  constructor(
    private readonly buffer: Buffer,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buffer.length - this.offset
  }

  int16(field: string): number {
    this.need(2, field)
    const value = this.buffer.readInt16BE(this.offset)
    this.offset += 2
    return value
  }

  int32(field: string): number {
    this.need(4, field)
    const value = this.buffer.readInt32BE(this.offset)
    this.offset += 4
    return value
  }

  string(field: string): string {
    const start = this.offset
    const length = this.int16(field)
    if (length < 0) throw this.error(`${field} has length ${length} at byte ${start}`)
    this.need(length, field)
    const bytes = this.buffer.subarray(this.offset, this.offset + length)
    this.offset += length
    try {
      return strictUtf8.decode(bytes)
    } catch {
      throw this.error(`${field} at byte ${start} is not valid UTF-8`)
    }
  }

  /** A copy, so the decoded value does not keep the whole received buffer alive. */
  bytes(field: string): Buffer | null {
    const start = this.offset
    const length = this.int32(field)
    if (length === -1) return null
    if (length < 0) throw this.error(`${field} has length ${length} at byte ${start}`)
    this.need(length, field)
    const copy = Buffer.from(this.buffer.subarray(this.offset, this.offset + length))
    this.offset += length
    return copy
  }

  array<T>(field: string, minItemBytes: number, readItem: (field: string) => T): T[] {
    const start = this.offset
    const count = this.int32(field)
    if (count < 0 || count * minItemBytes > this.remaining) {
      throw this.error(
        `truncated or corrupt: ${field} claims ${count} entries at byte ${start}, but ${this.remaining} bytes remain`,
      )
    }
    const items: T[] = []
    for (let index = 0; index < count; index++) items.push(readItem(`${field}[${index}]`))
    return items
  }

  error(message: string): KafkaJSNonRetriableError {
    return new KafkaJSNonRetriableError(`Invalid ${this.what}: ${message}`)
  }

  private need(bytes: number, field: string): void {
    if (bytes > this.remaining) {
      throw this.error(
        `truncated: ${field} needs ${bytes} bytes at byte ${this.offset}, ${this.remaining} remain`,
      )
    }
  }
}

function readerOf(buffer: unknown, what: string): ByteReader {
  if (!(buffer instanceof Uint8Array)) {
    throw new KafkaJSNonRetriableError(`Invalid ${what}: expected a Buffer, got ${typeof buffer}`)
  }
  const bytes = Buffer.isBuffer(buffer)
    ? buffer
    : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.length)
  return new ByteReader(bytes, what)
}

function versionOf(reader: ByteReader): number {
  const version = reader.int16('version')
  if (version < 0) throw reader.error(`version ${version} is negative`)
  return version
}

/** Trailing bytes in a layout known to its end mean the buffer is not what it claims. */
function expectEnd(reader: ByteReader, version: number, layoutVersion: number): void {
  if (version <= layoutVersion && reader.remaining > 0) {
    throw reader.error(`${reader.remaining} bytes left over after a version ${version} layout`)
  }
}

function writeTopicPartitions(writer: ByteWriter, owned: TopicPartitions, field: string): void {
  writer.string(owned.topic, `${field}.topic`)
  writer.array(owned.partitions, `${field}.partitions`, (partition, partitionField) => {
    writer.int32(partition, partitionField)
  })
}

function readTopicPartitions(
  reader: ByteReader,
  field: string,
): { topic: string; partitions: number[] } {
  return {
    topic: reader.string(`${field}.topic`),
    partitions: reader.array(`${field}.partitions`, MIN_INT32_BYTES, (partitionField) =>
      reader.int32(partitionField),
    ),
  }
}

const MemberMetadataCodec = {
  encode({
    version,
    topics,
    userData = Buffer.alloc(0),
    ownedPartitions = [],
  }: MemberMetadataInput): Buffer {
    const writer = new ByteWriter('MemberMetadata')
    writer.int16(version, 'version')
    if (version < 1 && ownedPartitions.length > 0) {
      throw new KafkaJSNonRetriableError(
        'Cannot encode MemberMetadata: ownedPartitions needs version 1 or later',
      )
    }
    writer.array(topics, 'topics', (topic, field) => {
      writer.string(topic, field)
    })
    writer.bytes(userData, 'userData')
    if (version >= 1) {
      writer.array(ownedPartitions, 'ownedPartitions', (owned, field) => {
        writeTopicPartitions(writer, owned, field)
      })
    }
    return writer.finish()
  },

  decode(buffer: Buffer): MemberMetadata {
    const reader = readerOf(buffer, 'MemberMetadata')
    const version = versionOf(reader)
    const topics = reader.array('topics', MIN_STRING_BYTES, (field) => reader.string(field))
    const userData = reader.bytes('userData')
    if (version < 1) {
      expectEnd(reader, version, METADATA_LAYOUT_VERSION)
      return { version, topics, userData }
    }
    // KafkaJS's own version-1 metadata stops after userData; Kafka marks the field ignorable.
    const ownedPartitions =
      reader.remaining === 0
        ? []
        : reader.array('ownedPartitions', MIN_TOPIC_PARTITIONS_BYTES, (field) =>
            readTopicPartitions(reader, field),
          )
    expectEnd(reader, version, METADATA_LAYOUT_VERSION)
    return { version, topics, userData, ownedPartitions }
  },
}

const MemberAssignmentCodec = {
  encode({ version, assignment, userData = Buffer.alloc(0) }: MemberAssignmentInput): Buffer {
    const writer = new ByteWriter('MemberAssignment')
    writer.int16(version, 'version')
    const entries = Object.entries(assignment).map(([topic, partitions]) => ({
      topic,
      partitions,
    }))
    writer.array(entries, 'assignment', (entry, field) => {
      writeTopicPartitions(writer, entry, field)
    })
    writer.bytes(userData, 'userData')
    return writer.finish()
  },

  /** `null` for an empty buffer: what a member gets when the leader assigned it nothing. */
  decode(buffer: Buffer): MemberAssignment | null {
    const reader = readerOf(buffer, 'MemberAssignment')
    if (reader.remaining === 0) return null
    const version = versionOf(reader)
    // No prototype: "__proto__" is a legal topic name and must stay an ordinary key.
    const assignment: Assignment = Object.create(null)
    const entries = reader.array('assignment', MIN_TOPIC_PARTITIONS_BYTES, (field) =>
      readTopicPartitions(reader, field),
    )
    for (const { topic, partitions } of entries) {
      if (Object.hasOwn(assignment, topic)) {
        throw reader.error(`topic ${JSON.stringify(topic)} is listed twice`)
      }
      assignment[topic] = partitions
    }
    const userData = reader.bytes('userData')
    expectEnd(reader, version, ASSIGNMENT_LAYOUT_VERSION)
    return { version, assignment, userData }
  },
}

/** KafkaJS's `AssignerProtocol`, for custom assigners to encode and decode what they exchange. */
export const AssignerProtocol = {
  MemberMetadata: MemberMetadataCodec,
  MemberAssignment: MemberAssignmentCodec,
} as const
