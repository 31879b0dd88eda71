import { describe, expect, it } from 'vitest'
import { KafkaProtocolError } from '../../../src/runtime/errors/samsa-error.js'
import type { FetchResponse } from '../../../src/runtime/kafka-protocol/generated/fetch.js'
import {
  ApiKeys,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  encodeUnsupportedApiVersionsResponse,
  FrameSplitter,
  generatedVersions,
} from '../../../src/runtime/kafka-protocol/index.js'

/*
 * Frames written byte by byte from Kafka's protocol documentation and the specs, independent
 * of the generated codecs, for what real clients send first and for the encodings most easily
 * got wrong: the classic client id inside a flexible header, compact lengths, tagged fields.
 */

type Part = number[] | Uint8Array

const int8 = (value: number): number[] => [value & 0xff]
const int16 = (value: number): number[] => [(value >> 8) & 0xff, value & 0xff]
const int32 = (value: number): number[] => [
  (value >>> 24) & 0xff,
  (value >>> 16) & 0xff,
  (value >>> 8) & 0xff,
  value & 0xff,
]
const int64 = (value: bigint): number[] => [
  ...int32(Number((value >> 32n) & 0xffff_ffffn)),
  ...int32(Number(value & 0xffff_ffffn)),
]
const ascii = (text: string): number[] => [...text].map((char) => char.charCodeAt(0))
/** STRING: int16 length, then the bytes. */
const classicString = (text: string): number[] => [...int16(text.length), ...ascii(text)]
/** COMPACT_STRING: unsigned varint of length + 1 (these fixtures stay under 127). */
const compactString = (text: string): number[] => [text.length + 1, ...ascii(text)]
const NO_TAGGED_FIELDS = [0]

function concat(...parts: Part[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]))
}

/** A frame as the socket carries it: int32 size, then the frame. */
function sized(frame: Uint8Array): Uint8Array {
  return concat(int32(frame.byteLength), frame)
}

function onlyFrame(stream: Uint8Array): Uint8Array {
  const frames = new FrameSplitter().push(stream)
  expect(frames).toHaveLength(1)
  return frames[0] as Uint8Array
}

describe('request frames clients send first', () => {
  it('librdkafka ApiVersions v3: header v2 with a classic client id, compact body strings', () => {
    const frame = concat(
      int16(18),
      int16(3),
      int32(1),
      classicString('rdkafka'),
      NO_TAGGED_FIELDS,
      compactString('librdkafka'),
      compactString('2.0.2'),
      NO_TAGGED_FIELDS,
    )
    expect(decodeRequestFrame(frame)).toEqual({
      kind: 'request',
      apiKey: 18,
      apiVersion: 3,
      header: { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'rdkafka' },
      body: { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' },
    })
    const encoded = encodeRequestFrame(
      ApiKeys.ApiVersions,
      3,
      { correlationId: 1, clientId: 'rdkafka' },
      { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2' },
    )
    expect(encoded).toEqual(sized(frame))
  })

  it('KafkaJS ApiVersions v2: header v1, empty body', () => {
    const frame = concat(int16(18), int16(2), int32(0), classicString('kafkajs'))
    expect(decodeRequestFrame(onlyFrame(sized(frame)))).toMatchObject({
      kind: 'request',
      apiKey: 18,
      apiVersion: 2,
      header: { correlationId: 0, clientId: 'kafkajs' },
      body: { clientSoftwareName: '', clientSoftwareVersion: '' },
    })
  })

  it('skips tagged fields it does not know', () => {
    const frame = concat(
      int16(18),
      int16(3),
      int32(9),
      int16(-1),
      [1, 7, 2, 0xaa, 0xbb],
      compactString('x'),
      compactString('1'),
      [1, 40, 1, 0xcc],
    )
    expect(decodeRequestFrame(frame)).toMatchObject({
      header: { correlationId: 9, clientId: null },
      body: { clientSoftwareName: 'x', clientSoftwareVersion: '1' },
    })
  })

  it('Produce v3: nullable transactional id, arrays and records with classic lengths', () => {
    const records = Uint8Array.of(1, 2, 3, 4, 5)
    const frame = concat(
      int16(0),
      int16(3),
      int32(42),
      classicString('kafkajs'),
      int16(-1),
      int16(-1),
      int32(30_000),
      int32(1),
      classicString('orders'),
      int32(1),
      int32(2),
      int32(records.byteLength),
      records,
    )
    const body = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: 'orders', partitionData: [{ index: 2, records }] }],
    }
    expect(decodeRequestFrame(frame)).toMatchObject({ kind: 'request', apiKey: 0, body })
    const header = { correlationId: 42, clientId: 'kafkajs' }
    expect(encodeRequestFrame(ApiKeys.Produce, 3, header, body)).toEqual(sized(frame))
  })

  it('Metadata v12: compact nullable array, uuid, compact nullable string', () => {
    const topicId = Uint8Array.from({ length: 16 }, (_, index) => index + 1)
    const frame = concat(
      int16(3),
      int16(12),
      int32(5),
      classicString('c'),
      NO_TAGGED_FIELDS,
      [2],
      topicId,
      compactString('orders'),
      NO_TAGGED_FIELDS,
      int8(1),
      int8(0),
      NO_TAGGED_FIELDS,
    )
    const body = {
      topics: [{ topicId: Buffer.from(topicId).toString('base64url'), name: 'orders' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    }
    expect(decodeRequestFrame(frame)).toMatchObject({ kind: 'request', apiKey: 3, body })
    expect(
      encodeRequestFrame(ApiKeys.Metadata, 12, { correlationId: 5, clientId: 'c' }, body),
    ).toEqual(sized(frame))
  })

  it('refuses a field the version cannot carry rather than dropping it', () => {
    const body = {
      topics: null,
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: true,
      includeTopicAuthorizedOperations: false,
    }
    expect(() =>
      encodeRequestFrame(ApiKeys.Metadata, 12, { correlationId: 1, clientId: null }, body),
    ).toThrow(/includeClusterAuthorizedOperations has no place in version 12/)
  })
})

describe('unsupported versions', () => {
  it('reports an unknown API key or version with its correlation id', () => {
    expect(decodeRequestFrame(concat(int16(1000), int16(0), int32(77)))).toEqual({
      kind: 'unsupported',
      apiKey: 1000,
      apiVersion: 0,
      correlationId: 77,
    })
    const future = concat(int16(18), int16(9), int32(3), int16(-1), [0, 0])
    expect(decodeRequestFrame(future)).toEqual({
      kind: 'unsupported',
      apiKey: 18,
      apiVersion: 9,
      correlationId: 3,
    })
  })

  it('answers ApiVersions with UNSUPPORTED_VERSION at v0, listing what it supports', () => {
    const supported = new Map([
      [3, { minVersion: 0, maxVersion: 12 }],
      [0, { minVersion: 3, maxVersion: 9 }],
    ])
    const expected = concat(
      int32(3),
      int16(35),
      int32(2),
      [...int16(0), ...int16(3), ...int16(9)],
      [...int16(3), ...int16(0), ...int16(12)],
    )
    expect(encodeUnsupportedApiVersionsResponse(3, supported)).toEqual(sized(expected))
  })

  it('leaves out the version Kafka marks unstable', () => {
    expect(generatedVersions().get(ApiKeys.EndTxn)).toEqual({ minVersion: 0, maxVersion: 4 })
    expect(generatedVersions().get(ApiKeys.Produce)).toEqual({ minVersion: 0, maxVersion: 11 })
  })
})

describe('response frames', () => {
  function fetchResponse(host: string): FetchResponse {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: 't',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
          partitions: [
            {
              partitionIndex: 0,
              errorCode: 6,
              highWatermark: 10n,
              lastStableOffset: 10n,
              logStartOffset: 0n,
              divergingEpoch: { epoch: -1, endOffset: -1n },
              currentLeader: { leaderId: 2, leaderEpoch: 7 },
              snapshotId: { endOffset: -1n, epoch: -1 },
              abortedTransactions: null,
              preferredReadReplica: -1,
              records: null,
            },
          ],
        },
      ],
      nodeEndpoints: host === '' ? [] : [{ nodeId: 2, host, port: 9093, rack: null }],
    }
  }

  const partitionV12 = concat(
    int32(0),
    int16(6),
    int64(10n),
    int64(10n),
    int64(0n),
    [0],
    int32(-1),
    [0],
    // One tagged field: CurrentLeader (tag 1), 9 bytes: two int32s and its own tag count.
    [1, 1, 9],
    int32(2),
    int32(7),
    NO_TAGGED_FIELDS,
  )

  it('Fetch v12: header v1, a tagged struct written only because it is not its default', () => {
    const frame = concat(
      int32(11),
      NO_TAGGED_FIELDS,
      int32(0),
      int16(0),
      int32(0),
      [2],
      compactString('t'),
      [2],
      partitionV12,
      NO_TAGGED_FIELDS,
      NO_TAGGED_FIELDS,
    )
    expect(encodeResponseFrame(ApiKeys.Fetch, 12, 11, fetchResponse(''))).toEqual(sized(frame))
    expect(decodeResponseFrame(ApiKeys.Fetch, 12, frame).body).toEqual(fetchResponse(''))
  })

  it('Fetch v16: a tagged field over 127 bytes takes a two-byte size', () => {
    const host = 'h'.repeat(200)
    const endpoints = concat(
      [2],
      int32(2),
      [(201 & 0x7f) | 0x80, 201 >> 7],
      ascii(host),
      int32(9093),
      [0],
      NO_TAGGED_FIELDS,
    )
    expect(endpoints.byteLength).toBe(213)
    const frame = concat(
      int32(11),
      NO_TAGGED_FIELDS,
      int32(0),
      int16(0),
      int32(0),
      [2],
      new Uint8Array(16),
      [2],
      partitionV12,
      NO_TAGGED_FIELDS,
      [1, 0, (213 & 0x7f) | 0x80, 213 >> 7],
      endpoints,
    )
    expect(encodeResponseFrame(ApiKeys.Fetch, 16, 11, fetchResponse(host))).toEqual(sized(frame))
    expect(decodeResponseFrame(ApiKeys.Fetch, 16, frame).body).toEqual({
      ...fetchResponse(host),
      responses: [{ ...fetchResponse(host).responses[0], topic: '' }],
    })
  })

  it('ApiVersions answers with header v0 even at a flexible version', () => {
    const body = {
      errorCode: 0,
      apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    }
    const frame = concat(
      int32(4),
      int16(0),
      [2],
      [...int16(18), ...int16(0), ...int16(3)],
      NO_TAGGED_FIELDS,
      int32(0),
      NO_TAGGED_FIELDS,
    )
    expect(encodeResponseFrame(ApiKeys.ApiVersions, 3, 4, body)).toEqual(sized(frame))
  })
})

describe('malformed frames', () => {
  function corruptMessage(decode: () => unknown): KafkaProtocolError {
    try {
      decode()
    } catch (error) {
      expect(error).toBeInstanceOf(KafkaProtocolError)
      expect((error as KafkaProtocolError).type).toBe('CORRUPT_MESSAGE')
      return error as KafkaProtocolError
    }
    throw new Error('expected a KafkaProtocolError')
  }

  it('names the message and what was wrong', () => {
    const truncated = concat(int16(0), int16(3), int32(1), int16(-1), int16(-1), int16(-1))
    expect(corruptMessage(() => decodeRequestFrame(truncated)).message).toMatch(
      /ProduceRequest v3: an int32 runs past the end/,
    )
    expect(corruptMessage(() => decodeRequestFrame(concat(int16(0)))).message).toMatch(
      /RequestHeader: an int16 runs past the end/,
    )
  })

  it('refuses huge declared lengths before allocating', () => {
    const header = concat(int16(0), int16(3), int32(1), int16(-1))
    const hugeArray = concat(header, int16(-1), int16(1), int32(0), int32(0x7fff_ffff))
    expect(corruptMessage(() => decodeRequestFrame(hugeArray)).message).toMatch(
      /array declares 2147483647 elements/,
    )
    const hugeRecords = concat(
      header,
      int16(-1),
      int16(1),
      int32(0),
      int32(1),
      classicString('t'),
      int32(1),
      int32(0),
      int32(0x7fff_ffff),
    )
    expect(corruptMessage(() => decodeRequestFrame(hugeRecords)).message).toMatch(
      /bytes field of 2147483647 bytes runs past the end/,
    )
    const flexibleHeader = concat(int16(18), int16(3), int32(1), int16(-1))
    const hugeTaggedField = concat(flexibleHeader, [1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f])
    expect(corruptMessage(() => decodeRequestFrame(hugeTaggedField)).message).toMatch(
      /tagged field 0 declares 4294967295 bytes/,
    )
  })

  it('refuses bytes left over after the body', () => {
    const frame = concat(int16(18), int16(2), int32(0), int16(-1), [0])
    expect(corruptMessage(() => decodeRequestFrame(frame)).message).toMatch(/1 bytes left over/)
  })

  it('refuses null where the version does not allow it', () => {
    const frame = concat(int16(3), int16(0), int32(0), int16(-1), int32(-1))
    expect(corruptMessage(() => decodeRequestFrame(frame)).message).toMatch(/non-nullable array/)
  })
})
