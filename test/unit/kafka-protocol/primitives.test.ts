import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  KafkaProtocolError,
} from '../../../src/runtime/errors/samsa-error.js'
import { ProtocolReader, ProtocolWriter } from '../../../src/runtime/kafka-protocol/index.js'
import { propertySeed } from '../log/seed.js'

describe('unsigned varints', () => {
  it('round-trip every uint32 in as many bytes as 7-bit groups', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (value) => {
        const writer = new ProtocolWriter(1)
        writer.unsignedVarint(value)
        const bytes = writer.finish()
        expect(bytes.byteLength).toBe(Math.max(1, Math.ceil(Math.log2(value + 1) / 7)))
        const reader = new ProtocolReader(bytes)
        expect(reader.unsignedVarint()).toBe(value)
        expect(reader.remaining).toBe(0)
      }),
      { seed: propertySeed() },
    )
  })

  it('refuses more than 5 bytes or more than 32 bits', () => {
    const tooLong = new ProtocolReader(Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x01))
    expect(() => tooLong.unsignedVarint()).toThrow(/runs past 5 bytes/)
    const tooBig = new ProtocolReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0x1f))
    expect(() => tooBig.unsignedVarint()).toThrow(/exceeds 32 bits/)
    expect(() => new ProtocolReader(Uint8Array.of(0x80)).unsignedVarint()).toThrow(
      KafkaProtocolError,
    )
  })
})

describe('strings', () => {
  it('round-trip UTF-8 in both encodings', () => {
    for (const compact of [false, true]) {
      const writer = new ProtocolWriter()
      writer.string('zürich ✓', compact)
      writer.nullableString(null, compact)
      const reader = new ProtocolReader(writer.finish())
      expect(reader.string(compact)).toBe('zürich ✓')
      expect(reader.nullableString(compact)).toBeNull()
      expect(reader.remaining).toBe(0)
    }
  })

  it('refuses to write a string over 32767 bytes, as Kafka does', () => {
    expect(() => new ProtocolWriter().string('x'.repeat(0x8000), true)).toThrow(
      InvalidArgumentError,
    )
  })

  it('refuses a compact length over 32767 when reading', () => {
    const reader = new ProtocolReader(Uint8Array.of(0x81, 0x80, 0x02))
    expect(() => reader.string(true)).toThrow(/above the limit of 32767/)
  })
})

describe('uuids', () => {
  it('are Kafka’s URL-safe base64 of 16 bytes', () => {
    const writer = new ProtocolWriter()
    writer.uuid('AAAAAAAAAAAAAAAAAAAAAQ')
    expect(writer.finish()).toEqual(Uint8Array.of(...new Array(15).fill(0), 1))
    expect(() => new ProtocolWriter().uuid('not a uuid')).toThrow(InvalidArgumentError)
  })
})

describe('the writer', () => {
  it('grows across a tagged field whose size needs a second byte', () => {
    const writer = new ProtocolWriter(16)
    writer.taggedField(3, () => writer.raw(new Uint8Array(300).fill(7)))
    const bytes = writer.finish()
    expect([...bytes.subarray(0, 3)]).toEqual([3, (300 & 0x7f) | 0x80, 300 >> 7])
    expect(bytes.byteLength).toBe(303)
    expect(bytes.subarray(3).every((byte) => byte === 7)).toBe(true)
  })
})
