import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AssignerProtocol } from '../../../src/api/assigners/index.js'
import { KafkaJSNonRetriableError } from '../../../src/api/errors.js'
import { propertySeed } from '../log/seed.js'

const { MemberMetadata, MemberAssignment } = AssignerProtocol

function expectInvalid(decode: () => unknown, message: RegExp): void {
  let thrown: unknown
  try {
    decode()
  } catch (error) {
    thrown = error
  }
  expect(thrown).toBeInstanceOf(KafkaJSNonRetriableError)
  expect((thrown as KafkaJSNonRetriableError).retriable).toBe(false)
  expect((thrown as Error).message).toMatch(message)
}

describe('AssignerProtocol.MemberMetadata', () => {
  it("writes Kafka's version 0 layout byte for byte", () => {
    const encoded = MemberMetadata.encode({ version: 0, topics: ['a', 'bc'] })
    expect(encoded.toString('hex')).toBe(
      [
        '0000', // version
        '00000002', // topics: 2
        '0001',
        '61', // "a"
        '0002',
        '6263', // "bc"
        '00000000', // userData: empty, KafkaJS's default
      ].join(''),
    )
  })

  it('appends ownedPartitions from version 1 on', () => {
    const encoded = MemberMetadata.encode({
      version: 1,
      topics: ['a'],
      userData: null,
      ownedPartitions: [{ topic: 'a', partitions: [2, 5] }],
    })
    expect(encoded.toString('hex')).toBe(
      [
        '0001',
        '00000001',
        '000161',
        'ffffffff', // userData: null
        '00000001', // ownedPartitions: 1
        '000161',
        '00000002',
        '00000002',
        '00000005',
      ].join(''),
    )
  })

  it('round-trips version 0 without ownedPartitions', () => {
    const decoded = MemberMetadata.decode(
      MemberMetadata.encode({ version: 0, topics: ['t0', 't1'], userData: Buffer.from('hi') }),
    )
    expect(decoded).toEqual({ version: 0, topics: ['t0', 't1'], userData: Buffer.from('hi') })
    expect('ownedPartitions' in decoded).toBe(false)
  })

  it('round-trips version 1 with ownedPartitions, null user data and non-ASCII names', () => {
    const input = {
      version: 1,
      topics: ['tópico', 't1'],
      userData: null,
      ownedPartitions: [
        { topic: 'tópico', partitions: [0, 3] },
        { topic: 't1', partitions: [] },
      ],
    }
    expect(MemberMetadata.decode(MemberMetadata.encode(input))).toEqual(input)
  })

  it("reads KafkaJS's version 1 metadata, which ends after userData, as owning nothing", () => {
    const kafkaJsStyle = MemberMetadata.encode({ version: 0, topics: ['t'] })
    kafkaJsStyle.writeInt16BE(1, 0)
    expect(MemberMetadata.decode(kafkaJsStyle)).toEqual({
      version: 1,
      topics: ['t'],
      userData: Buffer.alloc(0),
      ownedPartitions: [],
    })
  })

  it("reads a newer version by the version 1 layout, ignoring the fields it appends (Kafka's rule)", () => {
    const v1 = MemberMetadata.encode({ version: 1, topics: ['t'] })
    const v2 = Buffer.concat([v1, Buffer.from('00000007', 'hex')]) // + generationId
    v2.writeInt16BE(2, 0)
    expect(MemberMetadata.decode(v2)).toEqual({
      version: 2,
      topics: ['t'],
      userData: Buffer.alloc(0),
      ownedPartitions: [],
    })
  })

  it('refuses every truncation of a version 0 buffer', () => {
    const encoded = MemberMetadata.encode({
      version: 0,
      topics: ['t0'],
      userData: Buffer.from('x'),
    })
    for (let length = 0; length < encoded.length; length++) {
      expectInvalid(() => MemberMetadata.decode(encoded.subarray(0, length)), /truncated/)
    }
  })

  it('refuses every truncation of a version 1 buffer but the KafkaJS-style end after userData', () => {
    const encoded = MemberMetadata.encode({
      version: 1,
      topics: ['t0'],
      ownedPartitions: [{ topic: 't0', partitions: [1] }],
    })
    const endOfUserData = 2 + 4 + 4 + 4
    for (let length = 0; length < encoded.length; length++) {
      if (length === endOfUserData) continue
      expectInvalid(() => MemberMetadata.decode(encoded.subarray(0, length)), /truncated/)
    }
  })

  it('refuses trailing bytes after a layout it knows to the end', () => {
    const encoded = Buffer.concat([MemberMetadata.encode({ version: 0, topics: [] }), Buffer.of(0)])
    expectInvalid(() => MemberMetadata.decode(encoded), /1 bytes left over after a version 0/)
  })

  it('refuses garbage: a negative version, an impossible count, a bad length, invalid UTF-8', () => {
    expectInvalid(() => MemberMetadata.decode(Buffer.from('ffff', 'hex')), /version -1 is negative/)
    expectInvalid(
      () => MemberMetadata.decode(Buffer.from('00007fffffff', 'hex')),
      /topics claims 2147483647 entries at byte 2, but 0 bytes remain/,
    )
    expectInvalid(
      () => MemberMetadata.decode(Buffer.from('000000000001ffff', 'hex')),
      /topics\[0\] has length -1/,
    )
    expectInvalid(
      () => MemberMetadata.decode(Buffer.from('0000000000010001ff00000000', 'hex')),
      /topics\[0\] at byte 6 is not valid UTF-8/,
    )
    expectInvalid(
      () => MemberMetadata.decode(Buffer.from('000000000000fffffffe', 'hex')),
      /userData has length -2/,
    )
    expectInvalid(
      () => MemberMetadata.decode('not a buffer' as unknown as Buffer),
      /expected a Buffer, got string/,
    )
  })

  it('refuses to encode what the layout cannot carry', () => {
    expectInvalid(() => MemberMetadata.encode({ version: 1.5, topics: [] }), /version must be/)
    expectInvalid(() => MemberMetadata.encode({ version: 0x8000, topics: [] }), /version must be/)
    expectInvalid(
      () => MemberMetadata.encode({ version: 0, topics: [7 as unknown as string] }),
      /topics\[0\] must be a string, got number/,
    )
    expectInvalid(
      () =>
        MemberMetadata.encode({
          version: 0,
          topics: ['t'],
          ownedPartitions: [{ topic: 't', partitions: [0] }],
        }),
      /ownedPartitions needs version 1/,
    )
    expectInvalid(
      () =>
        MemberMetadata.encode({
          version: 1,
          topics: ['t'],
          ownedPartitions: [{ topic: 't', partitions: [2 ** 31] }],
        }),
      /ownedPartitions\[0\]\.partitions\[0\] must be a 32-bit integer/,
    )
    expectInvalid(
      () => MemberMetadata.encode({ version: 0, topics: ['x'.repeat(0x8000)] }),
      /topics\[0\] is 32768 bytes long/,
    )
  })
})

describe('AssignerProtocol.MemberAssignment', () => {
  it('round-trips an assignment and its user data', () => {
    const input = {
      version: 1,
      assignment: { 'topic-A': [0, 2, 4], 'topic-B': [1] },
      userData: Buffer.from([1, 2, 3]),
    }
    const decoded = MemberAssignment.decode(MemberAssignment.encode(input))
    expect(decoded).toEqual(input)
  })

  it("writes Kafka's layout byte for byte", () => {
    const encoded = MemberAssignment.encode({ version: 0, assignment: { a: [3] } })
    expect(encoded.toString('hex')).toBe(
      '0000' + '00000001' + '000161' + '00000001' + '00000003' + '00000000',
    )
  })

  it('decodes an empty buffer as null, as KafkaJS does', () => {
    expect(MemberAssignment.decode(Buffer.alloc(0))).toBeNull()
  })

  it('keeps "__proto__" an ordinary topic name', () => {
    const topic = '__proto__'
    const assignment: Record<string, number[]> = Object.create(null)
    assignment[topic] = [0]
    const decoded = MemberAssignment.decode(MemberAssignment.encode({ version: 0, assignment }))
    expect(Object.keys(decoded?.assignment ?? {})).toEqual([topic])
    expect(decoded?.assignment[topic]).toEqual([0])
  })

  it('accepts a Uint8Array that is not a Buffer', () => {
    const encoded = MemberAssignment.encode({ version: 0, assignment: { t: [1] } })
    const view = new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.length)
    expect(MemberAssignment.decode(view as Buffer)?.assignment).toEqual({ t: [1] })
  })

  it('refuses a topic listed twice, trailing bytes and every truncation', () => {
    const twice = Buffer.from(
      `0000 00000002 000161 00000000 000161 00000000 00000000`.replaceAll(' ', ''),
      'hex',
    )
    expectInvalid(() => MemberAssignment.decode(twice), /topic "a" is listed twice/)
    const encoded = MemberAssignment.encode({ version: 0, assignment: { t: [1, 2] } })
    expectInvalid(
      () => MemberAssignment.decode(Buffer.concat([encoded, Buffer.of(9)])),
      /left over/,
    )
    for (let length = 1; length < encoded.length; length++) {
      expectInvalid(() => MemberAssignment.decode(encoded.subarray(0, length)), /truncated/)
    }
  })

  it('throws only KafkaJSNonRetriableError on random bytes and on damaged encodings', () => {
    const valid = MemberMetadata.encode({
      version: 1,
      topics: ['t0', 't1'],
      userData: Buffer.from('u'),
      ownedPartitions: [{ topic: 't0', partitions: [0, 1] }],
    })
    const damaged = fc
      .tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.nat())
      .map(([at, byte, cut]) => {
        const copy = Buffer.from(valid)
        copy[at] = byte
        return copy.subarray(0, valid.length - (cut % 4))
      })
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), damaged), (bytes) => {
        for (const decode of [MemberMetadata.decode, MemberAssignment.decode]) {
          try {
            decode(Buffer.from(bytes))
          } catch (error) {
            expect(error).toBeInstanceOf(KafkaJSNonRetriableError)
          }
        }
      }),
      { seed: propertySeed(), numRuns: 500 },
    )
  })
})
