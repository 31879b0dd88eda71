import { addExtension, Packr, Unpackr } from 'msgpackr'
import { ActorRef, type MessageRouter } from '../actor/actor-ref.js'

/** Record structures every thread agrees on: the parent's list, handed to each worker at start. */
export type AgreedStructures = readonly (readonly string[])[]

const ACTOR_REF_EXTENSION = 0x51

/**
 * Refs travel as (node, name) and come back bound to the system that decodes them. Decoding
 * is synchronous, so the router in force is simply set around each `decode` call.
 */
let decodingRouter: MessageRouter | undefined
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

  /** An exact-size copy, safe to transfer (msgpackr reuses its own buffer between calls). */
  encode(value: unknown): Uint8Array {
    return new Uint8Array(this.#packr.pack(value))
  }

  decode(bytes: Uint8Array): unknown {
    decodingRouter = this.router
    try {
      return this.#unpackr.unpack(bytes)
    } finally {
      decodingRouter = undefined
    }
  }
}
