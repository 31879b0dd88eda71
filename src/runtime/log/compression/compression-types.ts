/**
 * Kafka's compression codecs, as the low three bits of a RecordBatch's attributes name them
 * (and as KafkaJS exports them). 5–7 are unassigned: a batch that names one is corrupt.
 */
export const CompressionTypes = { None: 0, GZIP: 1, Snappy: 2, LZ4: 3, ZSTD: 4 } as const

export type CompressionType = (typeof CompressionTypes)[keyof typeof CompressionTypes]

/** A compression codec that is not None. */
export type CompressedType = Exclude<CompressionType, 0>

/** The attribute bits that hold the codec. */
export const COMPRESSION_CODEC_MASK = 0x07

const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const

/** True for 0–4, the codecs Kafka defines. */
export function isCompressionType(value: number): value is CompressionType {
  return Number.isInteger(value) && value >= 0 && value <= 4
}

/** The codec's lower-case name (as Kafka's `compression.type` spells it), or `codec N`. */
export function compressionName(type: number): string {
  return NAMES[type] ?? `codec ${type}`
}
