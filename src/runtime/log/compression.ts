/*
 * Kafka record-batch compression: the codec registry (KafkaJS's `CompressionCodecs` shape)
 * and the calls that compress and decompress a batch's records section. The codecs live in
 * ./compression/, one per file.
 */
export {
  BuiltinCompressionCodecs,
  type CompressionCodec,
  type CompressionCodecFactory,
  CompressionCodecs,
  compressRecords,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  decompressRecords,
  decompressRecordsSync,
  MAX_DECOMPRESSED_BYTES_LIMIT,
} from './compression/codecs.js'
export {
  COMPRESSION_CODEC_MASK,
  type CompressedType,
  type CompressionType,
  CompressionTypes,
  compressionName,
  isCompressionType,
} from './compression/compression-types.js'
