import { describe, expect, it } from 'vitest'
import { ActorRef, type MessageRouter } from '../../../src/runtime/actor/actor-ref.js'
import {
  fromPostedFrame,
  toPostedFrame,
  WireCodec,
} from '../../../src/runtime/transport/wire-codec.js'

const router: MessageRouter = {
  tell() {},
  ask: () => Promise.reject(new Error('not used')),
}

function roundTrip(value: unknown): unknown {
  const codec = new WireCodec([['type', 'n']], router)
  const posted = toPostedFrame(codec.encode(value))
  const frame = fromPostedFrame(posted.value)
  if (frame === undefined) throw new Error('not a frame')
  return codec.decode(frame)
}

describe('WireCodec', () => {
  it('round-trips plain data, agreed and unagreed shapes alike', () => {
    const value = [
      { type: 'ping', n: 1 },
      { other: 'shape', list: [1, 'two', null] },
    ]
    expect(roundTrip(value)).toEqual(value)
  })

  it('carries byte arrays small (inline), large (attached) and Buffers as Uint8Arrays', () => {
    const small = Uint8Array.from([1, 2, 3])
    const large = new Uint8Array(10_000).map((_, index) => index & 0xff)
    const decoded = roundTrip({ small, large, buffer: Buffer.from('hi') }) as Record<
      string,
      Uint8Array
    >
    expect([...(decoded.small ?? [])]).toEqual([1, 2, 3])
    expect(decoded.large).toEqual(large)
    expect(Buffer.from(decoded.buffer ?? []).toString()).toBe('hi')
  })

  it("attaches a copy of a large Buffer's bytes: posting the frame leaves the sender's memory whole", () => {
    const memory = Buffer.alloc(20_000, 7)
    const view = memory.subarray(1_000, 11_000)
    const codec = new WireCodec([], router)
    const frame = codec.encode({ batch: view })
    expect(frame.attached[0]?.byteLength).toBe(10_000)
    structuredClone(frame.attached, { transfer: [...frame.attached] })
    expect(memory.buffer.byteLength).toBe(20_000)
    expect(view[0]).toBe(7)
  })

  it('attaches large arrays in their own buffer, 8-byte aligned for the copy into a log', () => {
    const codec = new WireCodec([], router)
    const frame = codec.encode({ batch: new Uint8Array(10_000) })
    expect(frame.attached).toHaveLength(1)
    const decoded = codec.decode(frame) as { batch: Uint8Array }
    expect(decoded.batch.byteOffset % 8).toBe(0)
  })

  it('keeps a view of shared memory a view of the same memory, not a copy', () => {
    const memory = new SharedArrayBuffer(64)
    const decoded = roundTrip({ view: new Uint8Array(memory, 8, 16), memory }) as {
      view: Uint8Array
      memory: SharedArrayBuffer
    }
    decoded.view[0] = 99
    expect(new Uint8Array(memory)[8]).toBe(99)
    expect(decoded.memory).toBe(memory)
  })

  it('revives actor refs bound to the decoding side', () => {
    const decoded = roundTrip({ to: new ActorRef(3, 'broker-2', router) }) as {
      to: ActorRef<never>
    }
    expect(decoded.to).toBeInstanceOf(ActorRef)
    expect(decoded.to.toString()).toBe('broker-2@3')
  })

  it('refuses functions instead of dropping them', () => {
    const codec = new WireCodec([], router)
    expect(() => codec.encode({ callback: () => 1 })).toThrow('a function cannot cross a thread')
  })

  it('rejects a frame that names bytes or memory it does not carry', () => {
    const codec = new WireCodec([], router)
    const frame = codec.encode({ batch: new Uint8Array(10_000) })
    expect(() => codec.decode({ ...frame, attached: [] })).toThrow('did not carry')
  })
})
