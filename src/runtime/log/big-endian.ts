/*
 * Kafka's fixed-width integers are big-endian. These read and write them straight from a
 * byte array, without a DataView per batch, and carry int64 as a JS number (exact to 2^53).
 */

const TWO_POW_32 = 0x1_0000_0000

export function readInt16(bytes: Uint8Array, at: number): number {
  return (((bytes[at] as number) << 24) | ((bytes[at + 1] as number) << 16)) >> 16
}

export function readInt32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) << 24) |
    ((bytes[at + 1] as number) << 16) |
    ((bytes[at + 2] as number) << 8) |
    (bytes[at + 3] as number)
  )
}

export function readUint32(bytes: Uint8Array, at: number): number {
  return readInt32(bytes, at) >>> 0
}

/** An int64 as a JS number; one beyond ±2^53 comes back inexact, so callers range-check it. */
export function readInt64(bytes: Uint8Array, at: number): number {
  return readInt32(bytes, at) * TWO_POW_32 + readUint32(bytes, at + 4)
}

export function writeInt16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >> 8
  bytes[at + 1] = value
}

export function writeInt32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24
  bytes[at + 1] = value >>> 16
  bytes[at + 2] = value >>> 8
  bytes[at + 3] = value
}

/** Writes a safe integer (negative ones too: -1 is the "none" producer id) as an int64. */
export function writeInt64(bytes: Uint8Array, at: number, value: number): void {
  const high = Math.floor(value / TWO_POW_32)
  writeInt32(bytes, at, high)
  writeInt32(bytes, at + 4, value - high * TWO_POW_32)
}
