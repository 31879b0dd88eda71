import { describe, expect, it } from 'vitest'
import {
  followerProgress,
  partitionBatch,
  partitionProduced,
  produceRequest,
} from '../../../src/actors/broker/broker-protocol.js'
import { RECORD_PATH_STRUCTURES } from '../../../src/actors/wire-structures.js'
import type { MessageRouter } from '../../../src/runtime/actor/actor-ref.js'
import { type AgreedStructures, WireCodec } from '../../../src/runtime/transport/wire-codec.js'

const router: MessageRouter = {
  tell() {},
  ask: () => Promise.reject(new Error('not used')),
}

const messages = {
  'produce request': produceRequest(-1, [
    partitionBatch('orders', 3, Uint8Array.from([1, 2, 3])),
    partitionBatch('orders', 4, Uint8Array.from([4, 5])),
  ]),
  'produce reply': { partitions: [partitionProduced(42, 7), partitionProduced(43, 0)] },
  'follower progress': followerProgress('orders', 3, 2, 43),
}

function encoded(structures: AgreedStructures, message: object): string {
  return Buffer.from(new WireCodec(structures, router).encode(message).bytes).toString('latin1')
}

/** Every field name in `value`, nested entries' included. */
function fieldNames(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(fieldNames)
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return []
  return Object.entries(value).flatMap(([name, field]) => [name, ...fieldNames(field)])
}

/** A field name as msgpack writes a key: a fixstr, its length in the first byte. */
const asKey = (field: string) => String.fromCharCode(0xa0 + field.length) + field

describe("the record path's agreed wire structures", () => {
  for (const [name, message] of Object.entries(messages)) {
    it(`${name}: built as agreed, it travels without its field names`, () => {
      const fields = fieldNames(message)
      // Without the agreement the names are in the frame: the check below can see them.
      expect(fields.every((field) => encoded([], message).includes(asKey(field)))).toBe(true)
      const agreed = encoded(RECORD_PATH_STRUCTURES, message)
      expect(fields.filter((field) => agreed.includes(asKey(field)))).toEqual([])
      const codec = new WireCodec(RECORD_PATH_STRUCTURES, router)
      expect(codec.decode(codec.encode(message))).toEqual(message)
    })
  }
})
