import { InvalidArgumentError } from '../errors/samsa-error.js'

/*
 * Kafka's uuid (topic ids, directory ids) is 16 bytes on the wire; in code it is the string
 * Kafka itself prints: URL-safe base64 without padding, 22 characters.
 */

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA'

const UUID_BYTES = 16

export function uuidFromBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')
}

export function uuidToBytes(uuid: string): Uint8Array {
  const bytes = Buffer.from(uuid, 'base64url')
  if (bytes.byteLength !== UUID_BYTES || uuidFromBytes(bytes) !== uuid) {
    throw new InvalidArgumentError(`a uuid must be 22 characters of URL-safe base64, got ${uuid}`)
  }
  return bytes
}
