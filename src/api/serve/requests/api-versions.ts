import type { ApiVersionsResponse } from '../../../runtime/kafka-protocol/generated/api-versions.js'
import { ApiKeys, apiVersionsList } from '../../../runtime/kafka-protocol/index.js'
import { NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

/** ApiVersions: the APIs and versions this listener serves, and nothing more. */
export const apiVersions: RequestHandler<typeof ApiKeys.ApiVersions> = {
  apiKey: ApiKeys.ApiVersions,
  minVersion: 0,
  maxVersion: 3,
  async handle(_request, _version, { listener }): Promise<ApiVersionsResponse> {
    return {
      errorCode: NONE,
      apiKeys: apiVersionsList(listener.supported),
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    }
  },
}
