import { addExtension, Packr, Unpackr } from 'msgpackr'
import { ActorRef, type MessageRouter } from '../actor/actor-ref.js'

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
}

const ACTOR_REF_EXTENSION = 0x51
const SHARED_MEMORY_EXTENSION = 0x52

/*
 * Encoding and decoding are synchronous, so the context an extension needs (the router that
 * decoded refs belong to, the shared buffers of the frame at hand) is set around each call.
 */
let decodingRouter: MessageRouter | undefined
let encodingShared: SharedArrayBuffer[] = []
let decodingShared: readonly SharedArrayBuffer[] = []

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
  write: (buffer: SharedArrayBuffer) => encodingShared.push(buffer) - 1,
  read: (index: unknown) => {
    const buffer = typeof index === 'number' ? decodingShared[index] : undefined
    if (buffer === undefined) throw new TypeError('frame refers to shared memory it did not carry')
    return buffer
  },
})

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
      moreTypes: true,
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
    encodingShared = shared
    try {
      return { bytes: new Uint8Array(this.#packr.pack(value)), shared }
    } finally {
      encodingShared = []
    }
  }

  decode(frame: EncodedFrame): unknown {
    decodingRouter = this.router
    decodingShared = frame.shared
    try {
      return this.#unpackr.unpack(frame.bytes)
    } finally {
      decodingRouter = undefined
      decodingShared = []
    }
  }
}

/**
 * How a frame is posted: bare bytes (transferred, no copy) in the common case, or bytes with
 * the shared buffers they mention.
 */
export type PostedFrame =
  | Uint8Array
  | { readonly bytes: Uint8Array; readonly shared: SharedArrayBuffer[] }

export function toPostedFrame(frame: EncodedFrame): {
  value: PostedFrame
  transfer: ArrayBuffer[]
} {
  const transfer = [frame.bytes.buffer as ArrayBuffer]
  if (frame.shared.length === 0) return { value: frame.bytes, transfer }
  return { value: { bytes: frame.bytes, shared: [...frame.shared] }, transfer }
}

/** The frame in a posted message, or undefined when the message is not a data frame. */
export function fromPostedFrame(value: unknown): EncodedFrame | undefined {
  if (value instanceof Uint8Array) return { bytes: value, shared: [] }
  if (typeof value !== 'object' || value === null) return undefined
  const { bytes, shared } = value as { bytes?: unknown; shared?: unknown }
  if (!(bytes instanceof Uint8Array) || !Array.isArray(shared)) return undefined
  if (!shared.every((buffer) => buffer instanceof SharedArrayBuffer)) return undefined
  return { bytes, shared }
}
