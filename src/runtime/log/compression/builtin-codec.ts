/**
 * One of samsa's own codecs, over plain byte arrays. `maxBytes` bounds what decompression may
 * produce: past it (or on bytes that do not decompress) the calls throw CORRUPT_MESSAGE naming
 * the codec, and the bound is checked before the output is allocated wherever the format
 * allows it, so a zip bomb costs no memory.
 */
export interface BuiltinCodec {
  compress(records: Uint8Array): Promise<Uint8Array>
  decompress(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array>
  decompressSync(bytes: Uint8Array, maxBytes: number): Uint8Array
}
