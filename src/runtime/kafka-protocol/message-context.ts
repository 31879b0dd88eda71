import { KafkaProtocolError } from '../errors/samsa-error.js'

/**
 * Runs `decode` and names the message it was reading in any protocol error it throws, so a
 * log line says "ProduceRequest v9: a string … runs past the end" rather than only the latter.
 */
export function withMessageContext<T>(message: string, decode: () => T): T {
  try {
    return decode()
  } catch (error) {
    if (!(error instanceof KafkaProtocolError)) throw error
    const detail = error.message.slice(error.type.length + 2)
    throw new KafkaProtocolError(error.type, `${message}: ${detail}`, { cause: error })
  }
}
