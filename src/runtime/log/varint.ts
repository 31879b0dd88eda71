import { InvalidArgumentError, KafkaProtocolError } from '../errors/samsa-error.js'

/*
 * Kafka's variable-length integers (the protobuf encoding): zigzag maps signed to unsigned
 * (0, -1, 1, -2 … → 0, 1, 2, 3 …), then 7 bits per byte, low bits first, high bit set on
 * every byte but the last.
 *
 *   varint  => up to 5 bytes, a zigzag int32
 *   varlong => up to 10 bytes, a zigzag int64 (here limited to [-2^52, 2^52), whose zigzag
 *              form is still a safe integer; timestamps and deltas stay far inside it)
 */

const TWO_POW_28 = 0x10000000
const MAX_VARLONG_BYTES = 10

/** Bytes `writeVarint` uses for `value` (an int32). */
export function varintSize(value: number): number {
  let unsigned = ((value << 1) ^ (value >> 31)) >>> 0
  let size = 1
  while (unsigned >= 0x80) {
    unsigned >>>= 7
    size++
  }
  return size
}

/** Writes `value` (an int32) as a zigzag varint at `at`; returns the position after it. */
export function writeVarint(bytes: Uint8Array, at: number, value: number): number {
  let unsigned = ((value << 1) ^ (value >> 31)) >>> 0
  let position = at
  while (unsigned >= 0x80) {
    bytes[position++] = (unsigned & 0x7f) | 0x80
    unsigned >>>= 7
  }
  bytes[position++] = unsigned
  return position
}

const VARLONG_LIMIT = 2 ** 52

// Arithmetic instead of bit operators: JS bit operators stop at 32 bits.
function zigzagLong(value: number): number {
  if (!Number.isInteger(value) || value < -VARLONG_LIMIT || value >= VARLONG_LIMIT) {
    throw new InvalidArgumentError(`a varlong must be an integer in [-2^52, 2^52), got ${value}`)
  }
  return value >= 0 ? value * 2 : -value * 2 - 1
}

/** Bytes `writeVarlong` uses for `value` (an integer in [-2^52, 2^52)). */
export function varlongSize(value: number): number {
  let unsigned = zigzagLong(value)
  let size = 1
  while (unsigned >= 0x80) {
    unsigned = Math.floor(unsigned / 0x80)
    size++
  }
  return size
}

/** Writes `value` (an integer in [-2^52, 2^52)) as a zigzag varlong at `at`; returns the position after it. */
export function writeVarlong(bytes: Uint8Array, at: number, value: number): number {
  let unsigned = zigzagLong(value)
  let position = at
  while (unsigned >= 0x80) {
    bytes[position++] = (unsigned % 0x80) | 0x80
    unsigned = Math.floor(unsigned / 0x80)
  }
  bytes[position++] = unsigned
  return position
}

/**
 * Reads varints from one buffer, keeping its position in a field so that decoding a record
 * allocates nothing.
 */
export class VarintReader {
  bytes: Uint8Array
  position: number
  private readonly end: number

  constructor(bytes: Uint8Array, position: number, end: number) {
    this.bytes = bytes
    this.position = position
    this.end = end
  }

  /** A zigzag varint (int32). */
  varint(): number {
    const bytes = this.bytes
    let position = this.position
    let byte = this.byteAt(position++)
    let unsigned = byte & 0x7f
    let shift = 7
    while (byte & 0x80) {
      if (shift > 28) throw corrupt('a varint runs past 5 bytes')
      byte = position < this.end ? (bytes[position++] as number) : this.pastEnd()
      unsigned |= (byte & 0x7f) << shift
      shift += 7
    }
    this.position = position
    return (unsigned >>> 1) ^ -(unsigned & 1)
  }

  /** A zigzag varlong, as a JS number; one beyond the safe-integer range is corrupt. */
  varlong(): number {
    const bytes = this.bytes
    let position = this.position
    let byte = this.byteAt(position++)
    if ((byte & 0x80) === 0) {
      this.position = position
      return (byte >>> 1) ^ -(byte & 1)
    }
    let unsigned = byte & 0x7f
    let multiplier = 0x80
    let count = 1
    do {
      if (count === MAX_VARLONG_BYTES) throw corrupt('a varlong runs past 10 bytes')
      byte = position < this.end ? (bytes[position++] as number) : this.pastEnd()
      unsigned += (byte & 0x7f) * multiplier
      multiplier *= 0x80
      count++
    } while (byte & 0x80)
    if (!Number.isSafeInteger(unsigned)) throw corrupt('a varlong is beyond 2^53')
    this.position = position
    if (unsigned < TWO_POW_28) return (unsigned >>> 1) ^ -(unsigned & 1)
    return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2
  }

  private byteAt(position: number): number {
    return position < this.end ? (this.bytes[position] as number) : this.pastEnd()
  }

  private pastEnd(): never {
    throw corrupt('a varint runs past the end of its record')
  }
}

function corrupt(message: string): KafkaProtocolError {
  return new KafkaProtocolError('CORRUPT_MESSAGE', message)
}
