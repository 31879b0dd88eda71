/*
 * Any JavaScript value, named for an error message without running any of its code: String()
 * and template literals throw on a Symbol or an object without a prototype, call a user's
 * toString, and would copy a huge string into the message whole.
 */

/** How much of a string or a Symbol's description an error message quotes. */
const QUOTED_CHARACTERS = 40

function quote(text: string): string {
  return text.length <= QUOTED_CHARACTERS
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, QUOTED_CHARACTERS))}… (${text.length} characters)`
}

function objectKind(value: object): string {
  if (Array.isArray(value)) return `an array of ${value.length}`
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype === null) return 'an object without a prototype'
  // A constructor's own name property, read without calling any getter of the value's.
  const maker = Object.getOwnPropertyDescriptor(prototype, 'constructor')?.value
  const name: unknown =
    typeof maker === 'function' ? Object.getOwnPropertyDescriptor(maker, 'name')?.value : undefined
  return typeof name === 'string' && name !== '' && name !== 'Object'
    ? `a ${name.slice(0, QUOTED_CHARACTERS)}`
    : 'an object'
}

/** The value, or for an object its kind, in a few words. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
      return quote(value)
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value)
    case 'bigint':
      return `${value.toString().slice(0, QUOTED_CHARACTERS)}n`
    case 'symbol':
      return value.description === undefined ? 'a Symbol' : `Symbol(${quote(value.description)})`
    case 'function':
      return 'a function'
    default:
      try {
        return objectKind(value)
      } catch {
        // A Proxy's traps may throw even here.
        return 'an object'
      }
  }
}
