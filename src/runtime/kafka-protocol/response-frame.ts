import { type ApiCodec, checkVersion, isFlexibleVersion } from './api-codec.js'
import {
  API_CODECS,
  type ApiKey,
  ApiKeys,
  type RequestByApiKey,
  type ResponseByApiKey,
} from './generated/index.js'
import { decodeResponseHeader, encodeResponseHeader } from './generated/response-header.js'
import { withMessageContext } from './message-context.js'
import { ProtocolReader } from './protocol-reader.js'
import { ProtocolWriter } from './protocol-writer.js'

/*
 * A response frame is a response header, then the body:
 *
 *   ResponseHeader v0 => correlation_id INT32
 *   ResponseHeader v1 => correlation_id INT32, tagged fields (flexible versions of the API)
 *
 * The frame does not say which API it answers; the client knows from the correlation id.
 */

/**
 * Header v1 goes with flexible versions, except for ApiVersions, which always answers with v0:
 * a client reads that response before it knows which versions the server speaks.
 */
export function responseHeaderVersion(
  codec: ApiCodec<unknown, unknown>,
  apiVersion: number,
): number {
  if (codec.apiKey === ApiKeys.ApiVersions) return 0
  return isFlexibleVersion(codec, apiVersion) ? 1 : 0
}

/** Encodes a response with its header, size prefix included, ready for the socket. */
export function encodeResponseFrame<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseByApiKey[K],
): Uint8Array {
  const codec: ApiCodec<RequestByApiKey[K], ResponseByApiKey[K]> = API_CODECS[apiKey]
  checkVersion(codec, apiVersion)
  const writer = new ProtocolWriter()
  writer.int32(0)
  encodeResponseHeader(writer, responseHeaderVersion(codec, apiVersion), { correlationId })
  codec.encodeResponse(writer, apiVersion, body)
  writer.int32At(0, writer.length - 4)
  return writer.finish()
}

export interface DecodedResponse<K extends ApiKey> {
  readonly correlationId: number
  readonly body: ResponseByApiKey[K]
}

/**
 * Decodes a response frame (without its size prefix) to the request `apiKey` at `apiVersion`
 * that it answers. Malformed bytes throw a KafkaProtocolError of type CORRUPT_MESSAGE.
 */
export function decodeResponseFrame<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  frame: Uint8Array,
): DecodedResponse<K> {
  const codec: ApiCodec<RequestByApiKey[K], ResponseByApiKey[K]> = API_CODECS[apiKey]
  checkVersion(codec, apiVersion)
  const name = `${codec.name}Response v${apiVersion}`
  const reader = new ProtocolReader(frame)
  const header = withMessageContext(`ResponseHeader of ${name}`, () =>
    decodeResponseHeader(reader, responseHeaderVersion(codec, apiVersion)),
  )
  const body = withMessageContext(name, () => {
    const decoded = codec.decodeResponse(reader, apiVersion)
    if (reader.remaining > 0) {
      throw reader.malformed(`${reader.remaining} bytes left over after the body`)
    }
    return decoded
  })
  return { correlationId: header.correlationId, body }
}
