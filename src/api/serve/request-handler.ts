import type {
  ApiKey,
  RequestByApiKey,
  ResponseByApiKey,
} from '../../runtime/kafka-protocol/index.js'
import type { RequestContext } from './serve-context.js'

/**
 * How one Kafka API is served: the versions it is answered correctly at (what ApiVersions
 * advertises), and the handler. Resolving undefined sends no response (a produce with acks 0).
 */
export interface RequestHandler<K extends ApiKey> {
  readonly apiKey: K
  readonly minVersion: number
  readonly maxVersion: number
  handle(
    request: RequestByApiKey[K],
    version: number,
    context: RequestContext,
  ): Promise<ResponseByApiKey[K] | undefined>
}
