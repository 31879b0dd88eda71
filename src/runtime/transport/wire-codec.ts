import { ActorRef, type MessageRouter } from '../actor/actor-ref.js'
import { readUint32, writeInt32 } from '../log/big-endian.js'
import { addExtension, Packr, Unpackr } from './msgpack.js'

/** Record structures every thread agrees on: the parent's list, handed to each worker at start. */
export type AgreedStructures = readonly (readonly string[])[]

/**
 * What one encoded batch of envelopes is on the wire: the msgpack bytes, plus the shared
 * memory they mention. SharedArrayBuffers cannot be copied into bytes (they must stay shared),
 * so they ride beside the bytes and are referred to by index.
 */
export interface EncodedFrame {
  readonly bytes: Uint8Array
  readonly shared: readonly SharedArrayBuffer[]
  /** Large byte arrays, each in its own buffer, transferred rather than copied into `bytes`. */
  readonly attached: readonly ArrayBuffer[]
}

const ACTOR_REF_EXTENSION = 0x51
const SHARED_MEMORY_EXTENSION = 0x52
const BYTES_EXTENSION = 0x53
/**
 * Byte arrays at least this large travel in their own transferred buffer: they arrive 8-byte
 * aligned, which V8 copies into shared memory several times faster than misaligned bytes
 * (bench/README.md), and a record batch's next stop is a log's ring; they also skip two copies
 * through msgpack.
 */
const ATTACH_AT_BYTES = 4096

/*
 * Encoding and decoding are synchronous, so the context an extension needs (the router that
 * decoded refs belong to, the shared buffers of the frame at hand) is set around each call.
 */
let decodingRouter: MessageRouter | undefined
let encodingShared: SharedArrayBuffer[] = []
let decodingShared: readonly SharedArrayBuffer[] = []
let encodingAttached: ArrayBuffer[] = []
let decodingAttached: readonly ArrayBuffer[] = []

addExtension({
  Class: ActorRef,
  type: ACTOR_REF_EXTENSION,
  write: (ref: ActorRef<unknown>) => [ref.node, ref.name],
  read: (fields: unknown) => {
    if (
      !Array.isArray(fields) ||
      !Number.isInteger(fields[0]) ||
      typeof fields[1] !== 'string' ||
      decodingRouter === undefined
    ) {
      throw new TypeError('malformed actor ref on the wire')
    }
    return new ActorRef(fields[0] as number, fields[1], decodingRouter)
  },
})

addExtension({
  Class: SharedArrayBuffer,
  type: SHARED_MEMORY_EXTENSION,
  write: (buffer: SharedArrayBuffer) => sharedIndex(buffer),
  read: (index: unknown) => {
    const buffer = typeof index === 'number' ? decodingShared[index] : undefined
    if (buffer === undefined) throw new TypeError('frame refers to shared memory it did not carry')
    return buffer
  },
})

function sharedIndex(buffer: SharedArrayBuffer): number {
  const known = encodingShared.indexOf(buffer)
  return known >= 0 ? known : encodingShared.push(buffer) - 1
}

/*
 * Byte arrays travel in one of three forms, told apart by the payload's first byte:
 *   INLINE   [0, ...bytes]                      small arrays, copied into the frame
 *   SHARED   [1, index u32, offset u32, length u32]   a view of shared memory stays a view of it
 *   ATTACHED [2, index u32]                     large arrays, in their own transferred buffer
 * `pack` writes the payload itself: returning a byte array to msgpackr would meet this same
 * extension again (it also matches Buffers).
 */
const INLINE = 0
const SHARED = 1
const ATTACHED = 2

function packBytes(bytes: Uint8Array): Uint8Array {
  const buffer = bytes.buffer
  if (buffer instanceof SharedArrayBuffer) {
    const payload = new Uint8Array(13)
    payload[0] = SHARED
    writeInt32(payload, 1, sharedIndex(buffer))
    writeInt32(payload, 5, bytes.byteOffset)
    writeInt32(payload, 9, bytes.length)
    return payload
  }
  if (bytes.length < ATTACH_AT_BYTES) {
    const payload = new Uint8Array(bytes.length + 1)
    payload[0] = INLINE
    payload.set(bytes, 1)
    return payload
  }
  const payload = new Uint8Array(5)
  payload[0] = ATTACHED
  // A copy in a buffer of its own: a Buffer's slice would be a view, and transferring its
  // buffer would detach the sender's memory (for a small Buffer, Node's shared pool).
  const own = Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer
  writeInt32(payload, 1, encodingAttached.push(own) - 1)
  return payload
}

function unpackBytes(payload: Uint8Array): Uint8Array {
  switch (payload[0]) {
    case INLINE:
      return new Uint8Array(payload.buffer, payload.byteOffset + 1, payload.length - 1)
    case SHARED: {
      const shared = payload.length === 13 ? decodingShared[readUint32(payload, 1)] : undefined
      if (shared === undefined) throw new TypeError('frame refers to shared bytes it did not carry')
      return new Uint8Array(shared, readUint32(payload, 5), readUint32(payload, 9))
    }
    case ATTACHED: {
      const buffer = payload.length === 5 ? decodingAttached[readUint32(payload, 1)] : undefined
      if (buffer === undefined) throw new TypeError('frame refers to bytes it did not carry')
      return new Uint8Array(buffer)
    }
    default:
      throw new TypeError('malformed byte array on the wire')
  }
}

addExtension({ Class: Uint8Array, type: BYTES_EXTENSION, pack: packBytes, unpack: unpackBytes })

/**
 * msgpackr with structures fixed at start: shapes in the agreed list encode as a shared
 * record id; any other shape is written inline in its own frame, so no thread ever needs a
 * structure it was not given.
 */
export class WireCodec {
  readonly #packr: Packr
  readonly #unpackr: Unpackr

  constructor(
    readonly structures: AgreedStructures,
    private readonly router: MessageRouter,
  ) {
    const options = () => ({
      structures: structures.map((keys) => [...keys]),
      maxSharedStructures: Math.max(structures.length, 1),
      shouldShareStructure: () => false,
      useRecords: true,
      // msgpackr would silently encode a function as nil: refuse instead, so nothing is lost.
      writeFunction: () => {
        throw new TypeError('a function cannot cross a thread')
      },
    })
    this.#packr = new Packr(options())
    this.#unpackr = new Unpackr(options())
  }

  /** Bytes in an exact-size buffer, safe to transfer (msgpackr reuses its own between calls). */
  encode(value: unknown): EncodedFrame {
    const shared: SharedArrayBuffer[] = []
    const attached: ArrayBuffer[] = []
    encodingShared = shared
    encodingAttached = attached
    try {
      return { bytes: new Uint8Array(this.#packr.pack(value)), shared, attached }
    } finally {
      encodingShared = []
      encodingAttached = []
    }
  }

  decode(frame: EncodedFrame): unknown {
    decodingRouter = this.router
    decodingShared = frame.shared
    decodingAttached = frame.attached
    try {
      return this.#unpackr.unpack(frame.bytes)
    } finally {
      decodingRouter = undefined
      decodingShared = []
      decodingAttached = []
    }
  }
}

/**
 * How a frame is posted: bare bytes in the common case, or bytes with the shared buffers and
 * attached byte arrays they mention. Everything but shared memory is transferred, not copied.
 */
export type PostedFrame =
  | Uint8Array
  | {
      readonly bytes: Uint8Array
      readonly shared: SharedArrayBuffer[]
      readonly attached: ArrayBuffer[]
    }

export function toPostedFrame(frame: EncodedFrame): {
  value: PostedFrame
  transfer: ArrayBuffer[]
} {
  const transfer = [frame.bytes.buffer as ArrayBuffer, ...frame.attached]
  if (frame.shared.length === 0 && frame.attached.length === 0) {
    return { value: frame.bytes, transfer }
  }
  return {
    value: { bytes: frame.bytes, shared: [...frame.shared], attached: [...frame.attached] },
    transfer,
  }
}

/** The frame in a posted message, or undefined when the message is not a data frame. */
export function fromPostedFrame(value: unknown): EncodedFrame | undefined {
  if (value instanceof Uint8Array) return { bytes: value, shared: [], attached: [] }
  if (typeof value !== 'object' || value === null) return undefined
  const { bytes, shared, attached } = value as Record<string, unknown>
  if (!(bytes instanceof Uint8Array) || !Array.isArray(shared) || !Array.isArray(attached)) {
    return undefined
  }
  if (!shared.every((buffer) => buffer instanceof SharedArrayBuffer)) return undefined
  if (!attached.every((buffer) => buffer instanceof ArrayBuffer)) return undefined
  return { bytes, shared, attached }
}
