import { KafkaProtocolError } from '../errors/samsa-error.js'

/*
 * Cuts a byte stream into Kafka frames: each is a 4-byte big-endian size, then that many
 * bytes. Chunks are kept as they arrive and a frame is assembled only once all of it is
 * here, so a size announced but never sent costs no allocation; a frame that lies inside
 * one chunk comes back as a view of it, without a copy.
 */

/** Kafka's `socket.request.max.bytes` default: 100 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 100 * 1024 * 1024

const SIZE_PREFIX_BYTES = 4

export class FrameSplitter {
  private readonly maxFrameBytes: number
  private chunks: Uint8Array[] = []
  private buffered = 0
  /** The size of the frame being gathered, or -1 while its size prefix is still incomplete. */
  private frameSize = -1

  constructor(maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes received that belong to no complete frame yet. */
  get bufferedBytes(): number {
    return this.buffered
  }

  /**
   * Takes the next chunk of the stream and returns the frames it completes, without their
   * size prefixes. A negative or oversized size is a KafkaProtocolError (CORRUPT_MESSAGE);
   * the stream cannot be resynchronised after one, so its connection should close.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = []
    if (chunk.byteLength > 0) {
      this.chunks.push(chunk)
      this.buffered += chunk.byteLength
    }
    for (;;) {
      if (this.frameSize < 0) {
        if (this.buffered < SIZE_PREFIX_BYTES) break
        const prefix = this.take(SIZE_PREFIX_BYTES)
        const size = new DataView(prefix.buffer, prefix.byteOffset, SIZE_PREFIX_BYTES).getInt32(0)
        if (size < 0) {
          throw new KafkaProtocolError(
            'CORRUPT_MESSAGE',
            `a frame declares a negative size ${size}`,
          )
        }
        if (size > this.maxFrameBytes) {
          throw new KafkaProtocolError(
            'CORRUPT_MESSAGE',
            `a frame of ${size} bytes exceeds the limit of ${this.maxFrameBytes} (socket.request.max.bytes)`,
          )
        }
        this.frameSize = size
      }
      if (this.buffered < this.frameSize) break
      frames.push(this.take(this.frameSize))
      this.frameSize = -1
    }
    return frames
  }

  /** Removes the first `size` buffered bytes (there are at least that many) and returns them. */
  private take(size: number): Uint8Array {
    this.buffered -= size
    const first = this.chunks[0]
    if (first !== undefined && first.byteLength >= size) {
      if (first.byteLength === size) this.chunks.shift()
      else this.chunks[0] = first.subarray(size)
      return first.subarray(0, size)
    }
    const taken = new Uint8Array(size)
    let filled = 0
    let used = 0
    while (filled < size) {
      const chunk = this.chunks[used] as Uint8Array
      const part = Math.min(chunk.byteLength, size - filled)
      taken.set(chunk.subarray(0, part), filled)
      filled += part
      if (part === chunk.byteLength) used++
      else this.chunks[used] = chunk.subarray(part)
    }
    this.chunks.splice(0, used)
    return taken
  }
}
