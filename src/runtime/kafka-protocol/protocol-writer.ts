import { InvalidArgumentError } from '../errors/samsa-error.js'
import { uuidToBytes } from './uuid.js'

/*
 * Writes Kafka's protocol primitives into a buffer that doubles when full. The `compact`
 * argument picks the flexible-version encoding of strings, bytes and arrays (unsigned varint
 * of length + 1, 0 for null) over the classic one (int16 / int32 length, -1 for null).
 */

const MAX_STRING_BYTES = 0x7fff
const INITIAL_CAPACITY = 256
const utf8 = new TextEncoder()

export class ProtocolWriter {
  private buffer: Uint8Array
  private view: DataView
  private position = 0

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.buffer = new Uint8Array(Math.max(16, initialCapacity))
    this.view = new DataView(this.buffer.buffer)
  }

  get length(): number {
    return this.position
  }

  /** The bytes written so far, as a view that later writes may leave behind. */
  finish(): Uint8Array {
    return this.buffer.subarray(0, this.position)
  }

  int8(value: number): void {
    const at = this.reserve(1)
    this.view.setInt8(at, value)
  }

  int16(value: number): void {
    const at = this.reserve(2)
    this.view.setInt16(at, value)
  }

  uint16(value: number): void {
    const at = this.reserve(2)
    this.view.setUint16(at, value)
  }

  int32(value: number): void {
    const at = this.reserve(4)
    this.view.setInt32(at, value)
  }

  uint32(value: number): void {
    const at = this.reserve(4)
    this.view.setUint32(at, value)
  }

  int64(value: bigint): void {
    const at = this.reserve(8)
    this.view.setBigInt64(at, value)
  }

  float64(value: number): void {
    const at = this.reserve(8)
    this.view.setFloat64(at, value)
  }

  bool(value: boolean): void {
    const at = this.reserve(1)
    this.buffer[at] = value ? 1 : 0
  }

  uuid(value: string): void {
    this.raw(uuidToBytes(value))
  }

  unsignedVarint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
      throw new InvalidArgumentError(`an unsigned varint must be a uint32, got ${value}`)
    }
    let rest = value
    while (rest >= 0x80) {
      const at = this.reserve(1)
      this.buffer[at] = (rest & 0x7f) | 0x80
      rest = Math.floor(rest / 0x80)
    }
    const at = this.reserve(1)
    this.buffer[at] = rest
  }

  string(value: string, compact: boolean): void {
    this.nullableString(value, compact)
  }

  nullableString(value: string | null, compact: boolean): void {
    if (value === null) {
      this.nullLength(compact, 2)
      return
    }
    const byteLength = Buffer.byteLength(value, 'utf8')
    if (byteLength > MAX_STRING_BYTES) {
      throw new InvalidArgumentError(
        `a protocol string takes at most ${MAX_STRING_BYTES} bytes, got one of ${byteLength}`,
      )
    }
    if (compact) this.unsignedVarint(byteLength + 1)
    else this.int16(byteLength)
    const at = this.reserve(byteLength)
    utf8.encodeInto(value, this.buffer.subarray(at, at + byteLength))
  }

  bytes(value: Uint8Array, compact: boolean): void {
    this.nullableBytes(value, compact)
  }

  nullableBytes(value: Uint8Array | null, compact: boolean): void {
    if (value === null) {
      this.nullLength(compact, 4)
      return
    }
    if (compact) this.unsignedVarint(value.byteLength + 1)
    else this.int32(value.byteLength)
    this.raw(value)
  }

  array<T>(
    items: readonly T[],
    compact: boolean,
    writeElement: (writer: ProtocolWriter, item: T) => void,
  ): void {
    this.nullableArray(items, compact, writeElement)
  }

  nullableArray<T>(
    items: readonly T[] | null,
    compact: boolean,
    writeElement: (writer: ProtocolWriter, item: T) => void,
  ): void {
    if (items === null) {
      this.nullLength(compact, 4)
      return
    }
    if (compact) this.unsignedVarint(items.length + 1)
    else this.int32(items.length)
    for (const item of items) writeElement(this, item)
  }

  /** A tagged field: its tag, its size, then what `writeValue` writes. */
  taggedField(tag: number, writeValue: () => void): void {
    this.unsignedVarint(tag)
    // Most tagged values fit in 127 bytes: reserve a one-byte size and move the value along
    // only when its size needs more.
    const sizeAt = this.reserve(1)
    writeValue()
    const size = this.position - sizeAt - 1
    const sizeBytes = unsignedVarintSize(size)
    if (sizeBytes > 1) {
      this.reserve(sizeBytes - 1)
      this.buffer.copyWithin(sizeAt + sizeBytes, sizeAt + 1, sizeAt + 1 + size)
    }
    let rest = size
    let at = sizeAt
    while (rest >= 0x80) {
      this.buffer[at++] = (rest & 0x7f) | 0x80
      rest = Math.floor(rest / 0x80)
    }
    this.buffer[at] = rest
  }

  emptyTaggedFields(): void {
    const at = this.reserve(1)
    this.buffer[at] = 0
  }

  raw(bytes: Uint8Array): void {
    const at = this.reserve(bytes.byteLength)
    this.buffer.set(bytes, at)
  }

  /** Writes `value` as an int32 at `at`, over bytes written before (a size prefix, say). */
  int32At(at: number, value: number): void {
    this.view.setInt32(at, value)
  }

  private nullLength(compact: boolean, classicBytes: 2 | 4): void {
    if (compact) this.unsignedVarint(0)
    else if (classicBytes === 2) this.int16(-1)
    else this.int32(-1)
  }

  /**
   * Makes room for `size` bytes and returns where they start. It may replace `buffer` and
   * `view`: call it before reading either, never inside an expression that already holds one.
   */
  private reserve(size: number): number {
    const at = this.position
    const needed = at + size
    if (needed > this.buffer.byteLength) {
      let capacity = this.buffer.byteLength * 2
      while (capacity < needed) capacity *= 2
      const grown = new Uint8Array(capacity)
      grown.set(this.buffer.subarray(0, at))
      this.buffer = grown
      this.view = new DataView(grown.buffer)
    }
    this.position = needed
    return at
  }
}

function unsignedVarintSize(value: number): number {
  let size = 1
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++
  return size
}
