import { MessagePort } from 'node:worker_threads'
import { type LinkFaultRule, parseFaultRules } from './link-faults.js'

/**
 * Thread-to-thread housekeeping, as plain objects (structured clone: ports must be
 * transferred). Actor traffic never goes this way; it travels as encoded envelope frames.
 */
export type ParentToThread =
  | { readonly kind: 'peer'; readonly node: number; readonly port: MessagePort }
  | { readonly kind: 'node-down'; readonly node: number; readonly reason: string }
  | { readonly kind: 'faults'; readonly version: number; readonly rules: readonly LinkFaultRule[] }
  /** Stall the whole thread (a paused process); see PauseGate. */
  | { readonly kind: 'pause'; readonly gate: SharedArrayBuffer }

export type ThreadToParent =
  | { readonly kind: 'ready' }
  | { readonly kind: 'spawn-failed'; readonly message: string }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'actor-failed'; readonly message: string }
  | { readonly kind: 'faults-applied'; readonly version: number }

/**
 * The Int32 words of a pause's gate: the thread stores 1 in `stalled` once it has stopped
 * (so the pauser knows nothing more runs there), then waits until `go` is not 0.
 */
export const PauseGate = { go: 0, stalled: 1, bytes: 8 } as const

function fields(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array)
    ? (value as Record<string, unknown>)
    : undefined
}

/** Returns the control frame, or undefined when `value` is not one (never throws). */
export function parseParentToThread(value: unknown): ParentToThread | undefined {
  const frame = fields(value)
  if (frame === undefined) return undefined
  switch (frame.kind) {
    case 'peer':
      return Number.isInteger(frame.node) && frame.port instanceof MessagePort
        ? { kind: 'peer', node: frame.node as number, port: frame.port }
        : undefined
    case 'node-down':
      return Number.isInteger(frame.node) && typeof frame.reason === 'string'
        ? { kind: 'node-down', node: frame.node as number, reason: frame.reason }
        : undefined
    case 'pause':
      return frame.gate instanceof SharedArrayBuffer && frame.gate.byteLength >= PauseGate.bytes
        ? { kind: 'pause', gate: frame.gate }
        : undefined
    case 'faults':
      if (!Number.isInteger(frame.version)) return undefined
      try {
        return {
          kind: 'faults',
          version: frame.version as number,
          rules: parseFaultRules(frame.rules),
        }
      } catch {
        return undefined
      }
    default:
      return undefined
  }
}

export function parseThreadToParent(value: unknown): ThreadToParent | undefined {
  const frame = fields(value)
  if (frame === undefined) return undefined
  switch (frame.kind) {
    case 'ready':
    case 'heartbeat':
      return { kind: frame.kind }
    case 'spawn-failed':
    case 'actor-failed':
      return typeof frame.message === 'string'
        ? { kind: frame.kind, message: frame.message }
        : undefined
    case 'faults-applied':
      return Number.isInteger(frame.version)
        ? { kind: 'faults-applied', version: frame.version as number }
        : undefined
    default:
      return undefined
  }
}
