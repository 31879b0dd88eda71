/**
 * What travels between actors. Tuples, not objects: they pack smaller and faster, and their
 * shape is fixed by the runtime rather than learned.
 *
 *   Tell  = [0, to, from, body]
 *   Ask   = [1, to, from, body, askId]           reply goes to the node the frame came from
 *   Reply = [2, to, from, askId, ok, value]      to = the asker's name, ok = 1 or 0
 */
export const TELL = 0
export const ASK = 1
export const REPLY = 2

export type TellEnvelope = readonly [typeof TELL, string, string, unknown]
export type AskEnvelope = readonly [typeof ASK, string, string, unknown, number]
export type ReplyEnvelope = readonly [typeof REPLY, string, string, number, 0 | 1, unknown]
export type Envelope = TellEnvelope | AskEnvelope | ReplyEnvelope

/** Checks an envelope that came off the wire; the body is left for the target to validate. */
export function isEnvelope(value: unknown): value is Envelope {
  if (!Array.isArray(value) || typeof value[1] !== 'string' || typeof value[2] !== 'string') {
    return false
  }
  switch (value[0]) {
    case TELL:
      return value.length === 4
    case ASK:
      return value.length === 5 && Number.isInteger(value[4])
    case REPLY:
      return value.length === 6 && Number.isInteger(value[3]) && (value[4] === 0 || value[4] === 1)
    default:
      return false
  }
}
