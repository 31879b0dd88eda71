import { MessagePort } from 'node:worker_threads'
import { parseTrafficCounts, type TrafficCounts } from '../clock/thread-traffic.js'
import { parseRequestSetup, type RequestSetup } from '../requests/request-dispatch.js'
import { parseRequestRecords, type RequestRecord } from '../requests/request-log.js'
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
  | { readonly kind: 'requests'; readonly version: number; readonly setup: RequestSetup }
  /** Send what the request log holds; with `clear`, forget it instead. */
  | { readonly kind: 'collect-requests'; readonly id: number; readonly clear: boolean }
  /** Run the timers virtual time has made due, then say how this thread stands. */
  | { readonly kind: 'time-probe'; readonly id: number }

export type ThreadToParent =
  | { readonly kind: 'ready' }
  | { readonly kind: 'spawn-failed'; readonly message: string }
  | { readonly kind: 'heartbeat' }
  | { readonly kind: 'actor-failed'; readonly message: string }
  | { readonly kind: 'faults-applied'; readonly version: number }
  | { readonly kind: 'requests-applied'; readonly version: number }
  /** Requests answered on the thread since its last such frame. */
  | { readonly kind: 'requests-recorded'; readonly records: readonly RequestRecord[] }
  /** The answer to a collect: sent after every answered record, with the unanswered ones. */
  | {
      readonly kind: 'requests-collected'
      readonly id: number
      readonly unanswered: readonly RequestRecord[]
    }
  | { readonly kind: 'time-report'; readonly id: number; readonly report: ThreadTimeReport }

/** How a thread stands under virtual time, once it has run what was due. */
export interface ThreadTimeReport {
  readonly node: number
  /** When its next timer falls due; Infinity when none is pending. */
  readonly earliestDue: number
  /** It ran timers just now, has messages waiting, or a wait of its is about to end. */
  readonly busy: boolean
  readonly traffic: TrafficCounts
  /** Rounds of work it noted that needed no message (see local-activity.ts). */
  readonly progress: number
}

/** Validates a time report that crossed a thread boundary; undefined when malformed. */
export function parseThreadTimeReport(value: unknown): ThreadTimeReport | undefined {
  const report = fields(value)
  if (report === undefined) return undefined
  const traffic = parseTrafficCounts(report.traffic)
  return Number.isInteger(report.node) &&
    typeof report.earliestDue === 'number' &&
    !Number.isNaN(report.earliestDue) &&
    typeof report.busy === 'boolean' &&
    Number.isInteger(report.progress) &&
    traffic !== undefined
    ? {
        node: report.node as number,
        earliestDue: report.earliestDue,
        busy: report.busy,
        traffic,
        progress: report.progress as number,
      }
    : undefined
}

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
    case 'requests':
      if (!Number.isInteger(frame.version)) return undefined
      try {
        return {
          kind: 'requests',
          version: frame.version as number,
          setup: parseRequestSetup(frame.setup),
        }
      } catch {
        return undefined
      }
    case 'collect-requests':
      return Number.isInteger(frame.id) && typeof frame.clear === 'boolean'
        ? { kind: 'collect-requests', id: frame.id as number, clear: frame.clear }
        : undefined
    case 'time-probe':
      return Number.isInteger(frame.id) ? { kind: 'time-probe', id: frame.id as number } : undefined
    default:
      return undefined
  }
}

function recordsOrUndefined(value: unknown): RequestRecord[] | undefined {
  try {
    return parseRequestRecords(value)
  } catch {
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
    case 'requests-applied':
      return Number.isInteger(frame.version)
        ? { kind: frame.kind, version: frame.version as number }
        : undefined
    case 'requests-recorded': {
      const records = recordsOrUndefined(frame.records)
      return records === undefined ? undefined : { kind: 'requests-recorded', records }
    }
    case 'requests-collected': {
      const unanswered = recordsOrUndefined(frame.unanswered)
      return unanswered === undefined || !Number.isInteger(frame.id)
        ? undefined
        : { kind: 'requests-collected', id: frame.id as number, unanswered }
    }
    case 'time-report': {
      const report = parseThreadTimeReport(frame.report)
      return report === undefined || !Number.isInteger(frame.id)
        ? undefined
        : { kind: 'time-report', id: frame.id as number, report }
    }
    default:
      return undefined
  }
}
