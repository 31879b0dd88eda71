import { createRequire } from 'node:module'

/*
 * The compression libraries, each loaded on first use: a native add-on takes milliseconds to
 * load (bench/README.md has each one's), and a broker thread that never meets a compressed
 * batch should not pay that while the cluster starts. Each interface lists only what samsa calls.
 *
 * - snappy (napi-rs): raw Snappy blocks; samsa adds xerial's framing itself.
 * - lz4-napi (napi-rs, lz4_flex): the LZ4 frame format, which Kafka uses for magic 2.
 * - @toondepauw/node-zstd (napi-rs, zstd 1.5): zstd frames, with sync and async calls
 *   (node:zlib has zstd only from Node 22.15, and samsa runs on Node 20).
 */

export interface SnappyPackage {
  compress(input: Uint8Array): Promise<Buffer>
  compressSync(input: Uint8Array): Buffer
  uncompress(input: Uint8Array, options: { readonly asBuffer: true }): Promise<string | Buffer>
  uncompressSync(input: Uint8Array, options: { readonly asBuffer: true }): string | Buffer
}

export interface Lz4Package {
  compressFrame(input: Uint8Array): Promise<Buffer>
  decompressFrame(input: Uint8Array): Promise<Buffer>
  decompressFrameSync(input: Uint8Array): Buffer
}

export interface ZstdPackage {
  readonly Encoder: new (
    level: number,
  ) => {
    encode(input: Uint8Array): Promise<Buffer>
  }
  readonly Decoder: new () => {
    decode(input: Uint8Array): Promise<Buffer>
    decodeSync(input: Uint8Array): Buffer
  }
}

export type ZlibPackage = typeof import('node:zlib')

const require = createRequire(import.meta.url)

/** A package's loader: required on first use, so a thread that never needs it never pays. */
function onFirstUse<Package>(name: string): () => Package {
  let loaded: Package | undefined
  return () => {
    loaded ??= require(name) as Package
    return loaded
  }
}

export const snappyPackage = onFirstUse<SnappyPackage>('snappy')
export const lz4Package = onFirstUse<Lz4Package>('lz4-napi')
export const zstdPackage = onFirstUse<ZstdPackage>('@toondepauw/node-zstd')
export const zlibPackage = onFirstUse<ZlibPackage>('node:zlib')
