import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KafkaProtocolError } from '../../../src/runtime/errors/samsa-error.js'
import {
  API_CODECS,
  type ApiCodec,
  type ApiKey,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  FrameSplitter,
} from '../../../src/runtime/kafka-protocol/index.js'
import { propertySeed } from '../log/seed.js'
import { messageArbitrary, readSpec } from './spec-arbitraries.js'

/*
 * Bytes from a hostile or broken peer: random, or valid frames truncated, overwritten with
 * bogus lengths, or with bytes inserted. Whatever comes in, the splitter and the decoders
 * either decode it or throw a KafkaProtocolError of type CORRUPT_MESSAGE, and what they
 * decode never holds more array elements than the input has bytes (no allocation driven by
 * a declared length).
 */

function expectOnlyCorruptMessage(decode: () => unknown): unknown {
  try {
    return decode()
  } catch (error) {
    if (!(error instanceof KafkaProtocolError) || error.type !== 'CORRUPT_MESSAGE') throw error
    return undefined
  }
}

/**
 * The array elements in a decoded value, all levels: what a bogus count would inflate. Each
 * element takes at least one byte of the frame, so there are never more than its length.
 */
function decodedElements(value: unknown): number {
  if (Array.isArray(value)) {
    return value.length + value.reduce((sum, item) => sum + decodedElements(item), 0)
  }
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return 0
  return Object.values(value).reduce((sum: number, item) => sum + decodedElements(item), 0)
}

const codecs = Object.values(API_CODECS) as ApiCodec<unknown, unknown>[]
const specs = new Map(
  codecs.map((codec) => [
    codec.apiKey,
    { request: readSpec(`${codec.name}Request`), response: readSpec(`${codec.name}Response`) },
  ]),
)

interface ValidFrame {
  readonly apiKey: ApiKey
  readonly version: number
  /** Request or response frame without its size prefix. */
  readonly frame: Uint8Array
}

function validFrame(direction: 'request' | 'response'): fc.Arbitrary<ValidFrame> {
  return fc
    .constantFrom(...codecs)
    .chain((codec) =>
      fc
        .integer({ min: codec.minVersion, max: codec.maxVersion })
        .map((version) => ({ codec, version })),
    )
    .chain(({ codec, version }) => {
      const spec = specs.get(codec.apiKey)
      if (spec === undefined) throw new Error(`no spec for ${codec.name}`)
      const apiKey = codec.apiKey as ApiKey
      return messageArbitrary(spec[direction], version).map((body) => ({
        apiKey,
        version,
        frame: (direction === 'request'
          ? encodeRequestFrame(
              apiKey,
              version,
              { correlationId: 1, clientId: 'fuzz' },
              body as never,
            )
          : encodeResponseFrame(apiKey, version, 1, body as never)
        ).subarray(4),
      }))
    })
}

type Mutation = (frame: Uint8Array) => Uint8Array

const BOGUS_LENGTHS = [
  [0x7f, 0xff, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0xff],
  [0x80, 0x00, 0x00, 0x00],
  [0x00, 0x00, 0xff, 0xff],
  [0xff, 0xff, 0xff, 0xff, 0x0f],
  [0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
]

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.nat().map(
    (at): Mutation =>
      (frame) =>
        frame.subarray(0, at % (frame.byteLength + 1)),
  ),
  fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
    .map(
      (flips): Mutation =>
        (frame) => {
          const copy = frame.slice()
          for (const [at, byte] of flips) if (copy.byteLength > 0) copy[at % copy.byteLength] = byte
          return copy
        },
    ),
  fc.tuple(fc.nat(), fc.constantFrom(...BOGUS_LENGTHS)).map(
    ([at, bytes]): Mutation =>
      (frame) => {
        const copy = frame.slice()
        if (copy.byteLength === 0) return copy
        const start = at % copy.byteLength
        copy.set(bytes.slice(0, copy.byteLength - start), start)
        return copy
      },
  ),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(
    ([at, inserted]): Mutation =>
      (frame) => {
        const cut = at % (frame.byteLength + 1)
        const copy = new Uint8Array(frame.byteLength + inserted.byteLength)
        copy.set(frame.subarray(0, cut))
        copy.set(inserted, cut)
        copy.set(frame.subarray(cut), cut + inserted.byteLength)
        return copy
      },
  ),
)

describe('fuzzing the frame splitter', () => {
  it('returns frames or a typed error for any bytes in any chunks', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }),
        (stream, chunkSizes) => {
          const splitter = new FrameSplitter(128)
          let at = 0
          let chunk = 0
          while (at < stream.byteLength) {
            const size = chunkSizes[chunk++ % chunkSizes.length] as number
            const frames = expectOnlyCorruptMessage(() =>
              splitter.push(stream.subarray(at, at + size)),
            )
            if (frames === undefined) return
            at += size
          }
        },
      ),
      { seed: propertySeed(), numRuns: 2000 },
    )
  })

  it('gives back exactly the frames sent, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (frames, cuts) => {
          const stream = Buffer.concat(
            frames.flatMap((frame) => {
              const prefix = Buffer.alloc(4)
              prefix.writeInt32BE(frame.byteLength)
              return [prefix, frame]
            }),
          )
          const points = [...new Set(cuts.map((cut) => cut % (stream.byteLength + 1)))].sort(
            (a, b) => a - b,
          )
          const splitter = new FrameSplitter(40)
          const received: Uint8Array[] = []
          let from = 0
          for (const point of [...points, stream.byteLength]) {
            received.push(...splitter.push(stream.subarray(from, point)))
            from = point
          }
          expect(received.map((frame) => [...frame])).toEqual(frames.map((frame) => [...frame]))
          expect(splitter.bufferedBytes).toBe(0)
        },
      ),
      { seed: propertySeed(), numRuns: 500 },
    )
  })

  it('refuses negative and oversized frame sizes', () => {
    expect(() => new FrameSplitter().push(Uint8Array.of(0xff, 0xff, 0xff, 0xfe))).toThrow(
      /negative size -2/,
    )
    expect(() => new FrameSplitter(1000).push(Uint8Array.of(0, 0, 0x03, 0xe9))).toThrow(
      /frame of 1001 bytes exceeds the limit of 1000/,
    )
    expect(new FrameSplitter(1000).push(Uint8Array.of(0, 0, 0x03, 0xe8))).toEqual([])
    expect(new FrameSplitter().push(Uint8Array.of(0, 0, 0, 0))).toEqual([new Uint8Array(0)])
  })
})

describe('fuzzing the decoders', () => {
  it('decodes arbitrary bytes or throws CORRUPT_MESSAGE', () => {
    const knownHeader = fc
      .constantFrom(...codecs)
      .chain((codec) =>
        fc.tuple(
          fc.constant(codec.apiKey),
          fc.integer({ min: codec.minVersion, max: codec.maxVersion + 1 }),
        ),
      )
    fc.assert(
      fc.property(knownHeader, fc.uint8Array({ maxLength: 200 }), ([apiKey, version], rest) => {
        const frame = new Uint8Array(4 + rest.byteLength)
        new DataView(frame.buffer).setInt16(0, apiKey)
        new DataView(frame.buffer).setInt16(2, version)
        frame.set(rest, 4)
        const decoded = expectOnlyCorruptMessage(() => decodeRequestFrame(frame))
        expect(decodedElements(decoded)).toBeLessThanOrEqual(frame.byteLength)
        expectOnlyCorruptMessage(() => decodeRequestFrame(rest))
      }),
      { seed: propertySeed(), numRuns: 3000 },
    )
  })

  it('decodes mutated request frames or throws CORRUPT_MESSAGE', () => {
    fc.assert(
      fc.property(
        validFrame('request'),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (valid, mutations) => {
          const frame = mutations.reduce((bytes, mutate) => mutate(bytes), valid.frame)
          const decoded = expectOnlyCorruptMessage(() => decodeRequestFrame(frame))
          expect(decodedElements(decoded)).toBeLessThanOrEqual(frame.byteLength)
          const sized = new Uint8Array(4 + frame.byteLength)
          new DataView(sized.buffer).setInt32(0, frame.byteLength)
          sized.set(frame, 4)
          expectOnlyCorruptMessage(() => new FrameSplitter(64).push(sized))
        },
      ),
      { seed: propertySeed(), numRuns: 3000 },
    )
  })

  it('decodes mutated response frames or throws CORRUPT_MESSAGE', () => {
    fc.assert(
      fc.property(
        validFrame('response'),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (valid, mutations) => {
          const frame = mutations.reduce((bytes, mutate) => mutate(bytes), valid.frame)
          const decoded = expectOnlyCorruptMessage(() =>
            decodeResponseFrame(valid.apiKey, valid.version, frame),
          )
          expect(decodedElements(decoded)).toBeLessThanOrEqual(frame.byteLength)
        },
      ),
      { seed: propertySeed(), numRuns: 3000 },
    )
  })
})
