import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import {
  type ApiKey,
  type DecodedRequest,
  decodeRequestFrame,
  encodeResponseFrame,
  encodeUnsupportedApiVersionsResponse,
  type SupportedVersions,
  type VersionSpan,
} from '../../runtime/kafka-protocol/index.js'
import type { RequestHandler } from './request-handler.js'
import type { ListenerContext } from './serve-context.js'

const API_VERSIONS = 18

/**
 * Decodes a request frame and hands it to the handler of its API: the one entry point of every
 * wire request, where request rules and faults can hook in as they do for in-process requests.
 */
export class RequestDispatcher {
  readonly #handlers: Map<number, RequestHandler<ApiKey>>
  /** Exactly the APIs and versions handled: what ApiVersions answers. */
  readonly supported: SupportedVersions

  constructor(handlers: readonly RequestHandler<ApiKey>[]) {
    this.#handlers = new Map(handlers.map((handler) => [handler.apiKey, handler]))
    const supported = new Map<number, VersionSpan>()
    for (const handler of handlers) {
      supported.set(handler.apiKey, {
        minVersion: handler.minVersion,
        maxVersion: handler.maxVersion,
      })
    }
    this.supported = supported
  }

  /**
   * The answer to one request frame, size prefix included (undefined when the request gets
   * none). Throws, without starting anything, when the frame is malformed or asks for an API
   * or version not served: its connection should close, as Kafka closes it.
   */
  dispatch(
    frame: Uint8Array,
    listener: ListenerContext,
    connectionClosed: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    const decoded = decodeRequestFrame(frame, this.supported)
    if (decoded.kind === 'unsupported') {
      if (decoded.apiKey === API_VERSIONS) {
        return Promise.resolve(
          encodeUnsupportedApiVersionsResponse(decoded.correlationId, this.supported),
        )
      }
      throw new KafkaProtocolError(
        'UNSUPPORTED_VERSION',
        `API ${decoded.apiKey} version ${decoded.apiVersion} is not served`,
      )
    }
    return this.#answer(decoded, listener, connectionClosed)
  }

  async #answer(
    request: DecodedRequest,
    listener: ListenerContext,
    connectionClosed: AbortSignal,
  ): Promise<Uint8Array | undefined> {
    const handler = this.#handlers.get(request.apiKey) as RequestHandler<typeof request.apiKey>
    const body = await handler.handle(request.body as never, request.apiVersion, {
      listener,
      clientId: request.header.clientId ?? '',
      connectionClosed,
    })
    if (body === undefined) return undefined
    return encodeResponseFrame(
      request.apiKey,
      request.apiVersion,
      request.header.correlationId,
      body as never,
    )
  }
}
