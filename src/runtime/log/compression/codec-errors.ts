import { KafkaProtocolError } from '../../errors/samsa-error.js'
import { compressionName } from './compression-types.js'

/** CORRUPT_MESSAGE naming the codec: what every failed decompression throws. */
export function corruptCompressed(
  type: number,
  message: string,
  cause?: unknown,
): KafkaProtocolError {
  return new KafkaProtocolError(
    'CORRUPT_MESSAGE',
    `${compressionName(type)}: ${message}`,
    cause === undefined ? {} : { cause },
  )
}

/** CORRUPT_MESSAGE for records that would decompress past the caller's bound (a zip bomb). */
export function tooLarge(type: number, maxBytes: number): KafkaProtocolError {
  return corruptCompressed(type, `the records decompress to more than ${maxBytes} bytes`)
}

/** Runs a native decompression, turning whatever it throws into CORRUPT_MESSAGE. */
export function decompressing<T>(type: number, run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (error instanceof KafkaProtocolError) throw error
    throw corruptCompressed(type, `the records do not decompress (${messageOf(error)})`, error)
  }
}

/** The async form of `decompressing`. */
export async function decompressingAsync<T>(type: number, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof KafkaProtocolError) throw error
    throw corruptCompressed(type, `the records do not decompress (${messageOf(error)})`, error)
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
