import { KAFKA_ERROR_CODES } from '../errors/kafka-error-codes.js'
import { ApiKeys } from './generated/index.js'
import { encodeResponseFrame } from './response-frame.js'
import { apiVersionsList, type SupportedVersions } from './supported-versions.js'

/**
 * Kafka's answer to an ApiVersions request at a version it does not know: UNSUPPORTED_VERSION
 * in the v0 format every client can read, listing the versions it does support, so the client
 * can retry with one of them. Returns the frame, size prefix included.
 */
export function encodeUnsupportedApiVersionsResponse(
  correlationId: number,
  supported: SupportedVersions,
): Uint8Array {
  return encodeResponseFrame(ApiKeys.ApiVersions, 0, correlationId, {
    errorCode: KAFKA_ERROR_CODES.UNSUPPORTED_VERSION.code,
    apiKeys: apiVersionsList(supported),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  })
}
