import { isVirtualTime } from '../clock/virtual-clock.js'
import { parseRequestSetup, type RequestSetup } from '../requests/request-dispatch.js'
import { type LinkFaultRule, parseFaultRules } from '../transport/link-faults.js'
import type { AgreedStructures } from '../transport/wire-codec.js'

/** What an actor thread is told at start (its `workerData`). */
export interface ActorThreadData {
  readonly node: number
  readonly name: string
  readonly module: string
  readonly exportName: string
  readonly args: unknown
  readonly seed: number
  readonly structures: AgreedStructures
  readonly heartbeatIntervalMs: number
  readonly faultRules: readonly LinkFaultRule[]
  readonly faultsVersion: number
  readonly requestSetup: RequestSetup
  readonly requestsVersion: number
  /** The cluster's shared virtual time, when it runs on one (else the system's time). */
  readonly virtualTime: SharedArrayBuffer | undefined
}

function isStructures(value: unknown): value is AgreedStructures {
  return (
    Array.isArray(value) &&
    value.every((keys) => Array.isArray(keys) && keys.every((key) => typeof key === 'string'))
  )
}

/** Validates the start data: it crossed a thread boundary like any message. */
export function parseActorThreadData(value: unknown): ActorThreadData {
  if (typeof value !== 'object' || value === null) throw new TypeError('workerData is missing')
  const data = value as Record<string, unknown>
  const integer = (field: string): number => {
    const found = data[field]
    if (!Number.isInteger(found)) throw new TypeError(`workerData.${field} must be an integer`)
    return found as number
  }
  const text = (field: string): string => {
    const found = data[field]
    if (typeof found !== 'string') throw new TypeError(`workerData.${field} must be a string`)
    return found
  }
  if (!isStructures(data.structures)) throw new TypeError('workerData.structures is malformed')
  if (data.virtualTime !== undefined && !isVirtualTime(data.virtualTime)) {
    throw new TypeError('workerData.virtualTime must be the shared time word')
  }
  return {
    node: integer('node'),
    name: text('name'),
    module: text('module'),
    exportName: text('exportName'),
    args: data.args,
    seed: integer('seed'),
    structures: data.structures,
    heartbeatIntervalMs: integer('heartbeatIntervalMs'),
    faultRules: parseFaultRules(data.faultRules),
    faultsVersion: integer('faultsVersion'),
    requestSetup: parseRequestSetup(data.requestSetup),
    requestsVersion: integer('requestsVersion'),
    virtualTime: data.virtualTime,
  }
}
