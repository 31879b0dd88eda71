export { type ApiCodec, isFlexibleVersion } from './api-codec.js'
export { DEFAULT_MAX_FRAME_BYTES, FrameSplitter } from './frame-splitter.js'
export * from './generated/index.js'
export type { RequestHeader } from './generated/request-header.js'
export { ProtocolReader } from './protocol-reader.js'
export { ProtocolWriter } from './protocol-writer.js'
export {
  codecFor,
  type DecodedRequest,
  decodeRequestFrame,
  encodeRequestFrame,
  requestHeaderVersion,
  type UnsupportedRequest,
} from './request-frame.js'
export {
  type DecodedResponse,
  decodeResponseFrame,
  encodeResponseFrame,
  responseHeaderVersion,
} from './response-frame.js'
export {
  apiVersionsList,
  generatedVersions,
  isSupported,
  type SupportedVersions,
  type VersionSpan,
} from './supported-versions.js'
export { encodeUnsupportedApiVersionsResponse } from './unsupported-api-versions.js'
export { ZERO_UUID } from './uuid.js'
