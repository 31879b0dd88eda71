import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  API_CODECS,
  type ApiKey,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  FrameSplitter,
  type SupportedVersions,
} from '../../../src/runtime/kafka-protocol/index.js'
import { propertySeed } from '../log/seed.js'
import { messageArbitrary, readSpec, versionsOf } from './spec-arbitraries.js'

const RUNS_PER_VERSION = 25

/** Every generated version, the unstable newest ones included. */
const ALL_VERSIONS: SupportedVersions = new Map(
  Object.values(API_CODECS).map((codec) => [
    codec.apiKey,
    { minVersion: codec.minVersion, maxVersion: codec.maxVersion },
  ]),
)

const headerArbitrary = fc.record({
  correlationId: fc.integer(),
  clientId: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
})

/** Runs a frame through the splitter in two arbitrary pieces, as a socket might deliver it. */
function splitAndJoin(frame: Uint8Array, cut: number): Uint8Array {
  const splitter = new FrameSplitter()
  const at = cut % (frame.byteLength + 1)
  const frames = [...splitter.push(frame.subarray(0, at)), ...splitter.push(frame.subarray(at))]
  expect(frames).toHaveLength(1)
  expect(splitter.bufferedBytes).toBe(0)
  return frames[0] as Uint8Array
}

describe.each(Object.values(API_CODECS))('$name round trip', (codec) => {
  const apiKey = codec.apiKey as ApiKey
  const requestSpec = readSpec(`${codec.name}Request`)
  const responseSpec = readSpec(`${codec.name}Response`)

  it('has the spec versions', () => {
    expect([codec.minVersion, codec.maxVersion]).toEqual([
      requestSpec.validVersions.low,
      requestSpec.validVersions.high,
    ])
  })

  it.each(versionsOf(requestSpec))('request v%i decodes to what was encoded', (version) => {
    fc.assert(
      fc.property(
        messageArbitrary(requestSpec, version),
        headerArbitrary,
        fc.nat(),
        (body, header, cut) => {
          const frame = encodeRequestFrame(apiKey, version, header, body as never)
          const decoded = decodeRequestFrame(splitAndJoin(frame, cut), ALL_VERSIONS)
          expect(decoded).toEqual({
            kind: 'request',
            apiKey,
            apiVersion: version,
            header: {
              requestApiKey: apiKey,
              requestApiVersion: version,
              correlationId: header.correlationId,
              clientId: header.clientId,
            },
            body,
          })
        },
      ),
      { seed: propertySeed(), numRuns: RUNS_PER_VERSION },
    )
  })

  it.each(versionsOf(responseSpec))('response v%i decodes to what was encoded', (version) => {
    fc.assert(
      fc.property(messageArbitrary(responseSpec, version), fc.integer(), (body, correlationId) => {
        const frame = encodeResponseFrame(apiKey, version, correlationId, body as never)
        const decoded = decodeResponseFrame(apiKey, version, frame.subarray(4))
        expect(decoded.correlationId).toBe(correlationId)
        expect(decoded.body).toEqual(body)
      }),
      { seed: propertySeed(), numRuns: RUNS_PER_VERSION },
    )
  })
})
