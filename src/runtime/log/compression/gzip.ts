import type { BuiltinCodec } from './builtin-codec.js'
import { decompressing, decompressingAsync, tooLarge } from './codec-errors.js'
import { CompressionTypes } from './compression-types.js'
import { zlibPackage } from './native-packages.js'

/*
 * GZIP (RFC 1952) through node:zlib at its default level, as KafkaJS's built-in codec and
 * Kafka's Java producer write it. Reading accepts concatenated members, as zlib does. zlib
 * stops at `maxOutputLength` (it grows its output chunk by chunk), so the bound holds while
 * decompressing rather than after.
 */

const GZIP = CompressionTypes.GZIP

function isTooLarge(error: unknown): boolean {
  return (
    error instanceof RangeError && (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE'
  )
}

export const gzipCodec: BuiltinCodec = {
  compress(records) {
    return new Promise((resolve, reject) => {
      zlibPackage().gzip(records, (error, result) => (error ? reject(error) : resolve(result)))
    })
  },

  decompress(bytes, maxBytes) {
    return decompressingAsync(
      GZIP,
      () =>
        new Promise<Uint8Array>((resolve, reject) => {
          zlibPackage().gunzip(bytes, { maxOutputLength: maxBytes }, (error, result) => {
            if (error === null) resolve(result)
            else reject(isTooLarge(error) ? tooLarge(GZIP, maxBytes) : error)
          })
        }),
    )
  },

  decompressSync(bytes, maxBytes) {
    return decompressing(GZIP, () => {
      try {
        return zlibPackage().gunzipSync(bytes, { maxOutputLength: maxBytes })
      } catch (error) {
        throw isTooLarge(error) ? tooLarge(GZIP, maxBytes) : error
      }
    })
  },
}
