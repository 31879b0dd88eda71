import { KafkaProtocolError } from '../errors/samsa-error.js'
import { uuidFromBytes } from './uuid.js'

/*
 * Reads Kafka's protocol primitives from one message. Every read checks the bytes left first,
 * and every declared length (string, bytes, array, tagged field) is checked against them
 * before anything is allocated, so a bogus length costs an error, never a huge allocation.
 * Malformed input always surfaces as a KafkaProtocolError of type CORRUPT_MESSAGE.
 *
 * Strings, bytes and arrays come in two encodings: the classic one (int16 / int32 length,
 * -1 for null) and the compact one of flexible versions (unsigned varint of length + 1, 0 for
 * null); the `compact` argument picks one. Bytes come back as views into the input.
 */

const MAX_STRING_BYTES = 0x7fff
const utf8 = new TextDecoder()

export class ProtocolReader {
  private readonly input: Uint8Array
  private readonly view: DataView
  private position: number

  constructor(input: Uint8Array, position = 0) {
    this.input = input
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength)
    this.position = position
  }

  get offset(): number {
    return this.position
  }

  get remaining(): number {
    return this.input.byteLength - this.position
  }

  int8(): number {
    const at = this.advance(1, 'an int8')
    return this.view.getInt8(at)
  }

  int16(): number {
    const at = this.advance(2, 'an int16')
    return this.view.getInt16(at)
  }

  uint16(): number {
    const at = this.advance(2, 'a uint16')
    return this.view.getUint16(at)
  }

  int32(): number {
    const at = this.advance(4, 'an int32')
    return this.view.getInt32(at)
  }

  uint32(): number {
    const at = this.advance(4, 'a uint32')
    return this.view.getUint32(at)
  }

  int64(): bigint {
    const at = this.advance(8, 'an int64')
    return this.view.getBigInt64(at)
  }

  float64(): number {
    const at = this.advance(8, 'a float64')
    return this.view.getFloat64(at)
  }

  bool(): boolean {
    const at = this.advance(1, 'a bool')
    return this.input[at] !== 0
  }

  uuid(): string {
    const at = this.advance(16, 'a uuid')
    return uuidFromBytes(this.input.subarray(at, at + 16))
  }

  /** Kafka's unsigned varint: 7 bits a byte, low bits first, at most 5 bytes (a uint32). */
  unsignedVarint(): number {
    let result = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const at = this.advance(1, 'an unsigned varint')
      const byte = this.input[at] as number
      result += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) {
        if (result > 0xffff_ffff) throw this.malformed('an unsigned varint exceeds 32 bits')
        return result
      }
    }
    throw this.malformed('an unsigned varint runs past 5 bytes')
  }

  string(compact: boolean): string {
    const text = this.nullableString(compact)
    if (text === null) throw this.malformed('a non-nullable string is null')
    return text
  }

  nullableString(compact: boolean): string | null {
    const length = compact ? this.unsignedVarint() - 1 : this.int16()
    if (length < 0) {
      if (length === -1) return null
      throw this.malformed(`a string has negative length ${length}`)
    }
    if (length > MAX_STRING_BYTES) {
      throw this.malformed(`a string has length ${length}, above the limit of ${MAX_STRING_BYTES}`)
    }
    const at = this.advance(length, `a string of ${length} bytes`)
    return utf8.decode(this.input.subarray(at, at + length))
  }

  bytes(compact: boolean): Uint8Array {
    const bytes = this.nullableBytes(compact)
    if (bytes === null) throw this.malformed('a non-nullable bytes field is null')
    return bytes
  }

  nullableBytes(compact: boolean): Uint8Array | null {
    const length = compact ? this.unsignedVarint() - 1 : this.int32()
    if (length < 0) {
      if (length === -1) return null
      throw this.malformed(`a bytes field has negative length ${length}`)
    }
    const at = this.advance(length, `a bytes field of ${length} bytes`)
    return this.input.subarray(at, at + length)
  }

  /**
   * An array whose elements each take at least `minElementBytes` on the wire (at least 1 is
   * assumed, as Kafka does), so a count the remaining bytes cannot hold is refused up front.
   */
  array<T>(
    compact: boolean,
    minElementBytes: number,
    readElement: (reader: ProtocolReader) => T,
  ): T[] {
    const items = this.nullableArray(compact, minElementBytes, readElement)
    if (items === null) throw this.malformed('a non-nullable array is null')
    return items
  }

  nullableArray<T>(
    compact: boolean,
    minElementBytes: number,
    readElement: (reader: ProtocolReader) => T,
  ): T[] | null {
    const count = compact ? this.unsignedVarint() - 1 : this.int32()
    if (count < 0) {
      if (count === -1) return null
      throw this.malformed(`an array has negative length ${count}`)
    }
    const needed = count * Math.max(1, minElementBytes)
    if (needed > this.remaining) {
      throw this.malformed(
        `an array declares ${count} elements (at least ${needed} bytes), ${this.remaining} bytes are left`,
      )
    }
    const items: T[] = []
    for (let index = 0; index < count; index++) items.push(readElement(this))
    return items
  }

  /**
   * The tagged-field section of a flexible struct. `readKnown` reads the field with `tag` and
   * returns true, or returns false for a tag it does not know, which is skipped. A known field
   * must fill exactly the size its header declared.
   */
  taggedFields(readKnown: (tag: number) => boolean): void {
    const count = this.unsignedVarint()
    if (count > this.remaining) {
      throw this.malformed(`${count} tagged fields declared, ${this.remaining} bytes are left`)
    }
    for (let index = 0; index < count; index++) {
      const tag = this.unsignedVarint()
      const size = this.unsignedVarint()
      if (size > this.remaining) {
        throw this.malformed(
          `tagged field ${tag} declares ${size} bytes, ${this.remaining} are left`,
        )
      }
      const start = this.position
      if (readKnown(tag)) {
        if (this.position !== start + size) {
          throw this.malformed(
            `tagged field ${tag} declares ${size} bytes but its value took ${this.position - start}`,
          )
        }
      } else {
        this.position = start + size
      }
    }
  }

  skipTaggedFields(): void {
    this.taggedFields(() => false)
  }

  /** The bytes from here to the end, as a view. */
  rest(): Uint8Array {
    const at = this.position
    this.position = this.input.byteLength
    return this.input.subarray(at)
  }

  malformed(what: string): KafkaProtocolError {
    return new KafkaProtocolError('CORRUPT_MESSAGE', `${what} (at byte ${this.position})`)
  }

  private advance(size: number, what: string): number {
    const at = this.position
    if (size > this.input.byteLength - at) {
      throw this.malformed(
        `${what} runs past the end: ${this.input.byteLength - at} bytes are left`,
      )
    }
    this.position = at + size
    return at
  }
}
