import { type ApiCodec, checkVersion, isFlexibleVersion } from './api-codec.js'
import {
  API_CODECS,
  type ApiKey,
  type RequestByApiKey,
  type ResponseByApiKey,
} from './generated/index.js'
import {
  decodeRequestHeader,
  encodeRequestHeader,
  type RequestHeader,
} from './generated/request-header.js'
import { withMessageContext } from './message-context.js'
import { ProtocolReader } from './protocol-reader.js'
import { ProtocolWriter } from './protocol-writer.js'
import { generatedVersions, isSupported, type SupportedVersions } from './supported-versions.js'

/** The generated codec of the API `apiKey`; undefined when Kafka has no such API. */
export function codecFor(apiKey: number): ApiCodec<unknown, unknown> | undefined {
  return Object.hasOwn(API_CODECS, apiKey)
    ? (API_CODECS[apiKey as ApiKey] as ApiCodec<unknown, unknown>)
    : undefined
}

/*
 * A request frame (without its size prefix) is a request header, then the body of the API
 * and version the header names:
 *
 *   RequestHeader v1 => api_key INT16, api_version INT16, correlation_id INT32,
 *                       client_id NULLABLE_STRING
 *   RequestHeader v2 => the same, then tagged fields (flexible versions of the API)
 *
 * The first 8 bytes read the same in every header version, which is how a request for an
 * API or version this side does not know still yields the correlation id to answer it with.
 */

export type DecodedRequest = {
  [K in ApiKey]: {
    readonly kind: 'request'
    readonly apiKey: K
    readonly apiVersion: number
    readonly header: RequestHeader
    readonly body: RequestByApiKey[K]
  }
}[ApiKey]

/** A request for an API or version outside the supported ones; Kafka answers UNSUPPORTED_VERSION. */
export interface UnsupportedRequest {
  readonly kind: 'unsupported'
  readonly apiKey: number
  readonly apiVersion: number
  readonly correlationId: number
}

const DEFAULT_SUPPORTED = generatedVersions()

/**
 * Decodes one request frame. Malformed bytes (truncated, bad lengths, bytes left over) throw
 * a KafkaProtocolError of type CORRUPT_MESSAGE naming the message and what was wrong; an API
 * or version outside `supported` comes back as an UnsupportedRequest. Bytes and records in
 * the body are views into `frame`.
 */
export function decodeRequestFrame(
  frame: Uint8Array,
  supported: SupportedVersions = DEFAULT_SUPPORTED,
): DecodedRequest | UnsupportedRequest {
  const reader = new ProtocolReader(frame)
  const { apiKey, apiVersion, correlationId } = withMessageContext('RequestHeader', () => ({
    apiKey: reader.int16(),
    apiVersion: reader.int16(),
    correlationId: reader.int32(),
  }))
  const codec = codecFor(apiKey)
  if (codec === undefined || !isSupported(supported, apiKey, apiVersion)) {
    return { kind: 'unsupported', apiKey, apiVersion, correlationId }
  }
  const name = `${codec.name}Request v${apiVersion}`
  const bodyReader = new ProtocolReader(frame)
  const header = withMessageContext(`RequestHeader of ${name}`, () =>
    decodeRequestHeader(bodyReader, requestHeaderVersion(codec, apiVersion)),
  )
  const body = withMessageContext(name, () => {
    const decoded = codec.decodeRequest(bodyReader, apiVersion)
    if (bodyReader.remaining > 0) {
      throw bodyReader.malformed(`${bodyReader.remaining} bytes left over after the body`)
    }
    return decoded
  })
  return { kind: 'request', apiKey, apiVersion, header, body } as DecodedRequest
}

/** Encodes a request with its header, size prefix included, ready for the socket. */
export function encodeRequestFrame<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  header: { readonly correlationId: number; readonly clientId: string | null },
  body: RequestByApiKey[K],
): Uint8Array {
  const codec: ApiCodec<RequestByApiKey[K], ResponseByApiKey[K]> = API_CODECS[apiKey]
  checkVersion(codec, apiVersion)
  const writer = new ProtocolWriter()
  writer.int32(0)
  encodeRequestHeader(writer, requestHeaderVersion(codec, apiVersion), {
    requestApiKey: apiKey,
    requestApiVersion: apiVersion,
    correlationId: header.correlationId,
    clientId: header.clientId,
  })
  codec.encodeRequest(writer, apiVersion, body)
  writer.int32At(0, writer.length - 4)
  return writer.finish()
}

/** Request header v2 goes with the API's flexible versions, v1 with the others. */
export function requestHeaderVersion(
  codec: ApiCodec<unknown, unknown>,
  apiVersion: number,
): number {
  return isFlexibleVersion(codec, apiVersion) ? 2 : 1
}
