import { KafkaProtocolError } from '../errors/samsa-error.js'
import type { ProtocolReader } from './protocol-reader.js'
import type { ProtocolWriter } from './protocol-writer.js'

/** One Kafka API as the generated table describes it: its versions and its four codecs. */
export interface ApiCodec<Request, Response> {
  readonly apiKey: number
  /** Kafka's name for the API, without "Request" / "Response" (e.g. "Produce"). */
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  /** The first version with compact encodings and tagged fields; null when none has them. */
  readonly firstFlexibleVersion: number | null
  /** Kafka marks its newest version as still changing; brokers do not advertise it by default. */
  readonly latestVersionUnstable: boolean
  decodeRequest(reader: ProtocolReader, version: number): Request
  encodeRequest(writer: ProtocolWriter, version: number, value: Request): void
  decodeResponse(reader: ProtocolReader, version: number): Response
  encodeResponse(writer: ProtocolWriter, version: number, value: Response): void
}

export function isFlexibleVersion(codec: ApiCodec<unknown, unknown>, apiVersion: number): boolean {
  return codec.firstFlexibleVersion !== null && apiVersion >= codec.firstFlexibleVersion
}

export function checkVersion(codec: ApiCodec<unknown, unknown>, apiVersion: number): void {
  if (
    !Number.isInteger(apiVersion) ||
    apiVersion < codec.minVersion ||
    apiVersion > codec.maxVersion
  ) {
    throw new KafkaProtocolError(
      'UNSUPPORTED_VERSION',
      `${codec.name} has versions ${codec.minVersion} to ${codec.maxVersion}, not ${apiVersion}`,
    )
  }
}
