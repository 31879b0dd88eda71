import type { KafkaProtocolError } from '../../errors/samsa-error.js'
import { readUint32LE } from './little-endian.js'

/*
 * What the LZ4 and zstd frame formats share: little-endian words, and skippable frames
 * (magic UINT32LE 0x184D2A50..5F, size UINT32LE, that many bytes) that a reader passes over.
 */
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50

/** Reads a codec's frames, throwing that codec's CORRUPT_MESSAGE when they lie. */
export class FrameReader {
  constructor(
    readonly bytes: Uint8Array,
    private readonly corrupt: (message: string) => KafkaProtocolError,
  ) {
    if (bytes.length === 0) throw corrupt('no frame')
  }

  /** Throws unless `position` is within the bytes: `what` is what would be cut short. */
  need(position: number, what: string): void {
    if (position > this.bytes.length) throw this.corrupt(`${what} is cut short`)
  }

  /** The frame magic at `position`, after the skippable frames there: [magic, position]. */
  magicAt(position: number): readonly [number, number] {
    let at = position
    for (;;) {
      this.need(at + 4, 'a frame magic')
      const magic = readUint32LE(this.bytes, at)
      if ((magic & SKIPPABLE_MASK) >>> 0 !== SKIPPABLE_MAGIC) return [magic, at]
      this.need(at + 8, 'a skippable frame')
      at += 8 + readUint32LE(this.bytes, at + 4)
      this.need(at, 'a skippable frame')
      if (at === this.bytes.length) return [-1, at]
    }
  }
}
