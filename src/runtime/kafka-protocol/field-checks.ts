import { InvalidArgumentError, KafkaProtocolError } from '../errors/samsa-error.js'

/*
 * Checks the generated encoders make on a value before writing it, as Kafka's own generated
 * code does: a version that cannot carry what the value says is refused rather than silently
 * losing it.
 */

/** A field the version lacks holds something other than its default, and is not ignorable. */
export function unsupportedFieldValue(
  struct: string,
  field: string,
  version: number,
): KafkaProtocolError {
  return new KafkaProtocolError(
    'UNSUPPORTED_VERSION',
    `${struct}.${field} has no place in version ${version} and holds a value other than its default`,
  )
}

/** A field that may be null only at other versions than `version`. */
export function nonNullField<T>(
  value: T | null,
  struct: string,
  field: string,
  version: number,
): T {
  if (value === null) {
    throw new InvalidArgumentError(`${struct}.${field} cannot be null in version ${version}`)
  }
  return value
}
