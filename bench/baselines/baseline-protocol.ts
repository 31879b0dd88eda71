import { MessagePort } from 'node:worker_threads'
import { type Fields, fieldsOf, integerField } from '../../src/actors/protocol-fields.js'
import { MalformedMessageError } from '../../src/runtime/errors/actor-errors.js'
import { type LatencyFigures, parseLatencyFigures } from '../latency/latency-histogram.js'
import type { SpscRingHandle } from './spsc-ring.js'

/*
 * What the baseline threads are told (their workerData) and answer. Each thread posts
 * `ready`, waits for any message as its go, runs, and posts its `done`. The two ends of a
 * pair meet either through a bare ring (its buffers) or a MessageChannel (one port each).
 */

/** How the two ends of a baseline pair hand records over. */
export type HandOff =
  | { readonly kind: 'ring'; readonly ring: SpscRingHandle }
  | { readonly kind: 'port'; readonly port: MessagePort }

export interface ThroughputThreadConfig {
  readonly role: 'writer' | 'reader'
  readonly handOff: HandOff
  readonly recordSize: number
  readonly durationMs: number
  /** [0]: records the writer wrote in all, or -1 while it is still writing (ring only). */
  readonly control: SharedArrayBuffer
}

export interface ThroughputDone {
  readonly records: number
  readonly elapsedMs: number
  readonly checksum: number
}

export interface LatencyThreadConfig {
  readonly role: 'sender' | 'receiver'
  readonly handOff: HandOff
  readonly recordSize: number
  /** Records per second on the sender's fixed schedule. */
  readonly rate: number
  readonly records: number
  /** The first records, sent and checked but not timed (a warm-up, as samsa's run has). */
  readonly warmUpRecords: number
}

export interface LatencyDone {
  readonly records: number
  readonly figures?: LatencyFigures
}

function finiteNumber(fields: Fields, name: string, min: number): number {
  const value = fields[name]
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new MalformedMessageError(`${name} must be a number ≥ ${min}`)
  }
  return value
}

function parseHandOff(value: unknown): HandOff {
  const fields = fieldsOf(value, 'hand-off')
  if (fields.kind === 'port' && fields.port instanceof MessagePort) {
    return { kind: 'port', port: fields.port }
  }
  const ring = fields.kind === 'ring' ? fieldsOf(fields.ring, 'ring') : undefined
  if (ring?.data instanceof SharedArrayBuffer && ring.counters instanceof SharedArrayBuffer) {
    return { kind: 'ring', ring: { data: ring.data, counters: ring.counters } }
  }
  throw new MalformedMessageError('a hand-off is a ring (two SharedArrayBuffers) or a port')
}

export function parseThroughputThreadConfig(value: unknown): ThroughputThreadConfig {
  const fields = fieldsOf(value, 'throughput baseline config')
  if (fields.role !== 'writer' && fields.role !== 'reader') {
    throw new MalformedMessageError('role must be writer or reader')
  }
  if (!(fields.control instanceof SharedArrayBuffer)) {
    throw new MalformedMessageError('control must be a SharedArrayBuffer')
  }
  return {
    role: fields.role,
    handOff: parseHandOff(fields.handOff),
    recordSize: integerField(fields, 'recordSize', 1),
    durationMs: integerField(fields, 'durationMs', 1),
    control: fields.control,
  }
}

export function parseLatencyThreadConfig(value: unknown): LatencyThreadConfig {
  const fields = fieldsOf(value, 'latency baseline config')
  if (fields.role !== 'sender' && fields.role !== 'receiver') {
    throw new MalformedMessageError('role must be sender or receiver')
  }
  return {
    role: fields.role,
    handOff: parseHandOff(fields.handOff),
    recordSize: integerField(fields, 'recordSize', 12),
    rate: finiteNumber(fields, 'rate', Number.MIN_VALUE),
    records: integerField(fields, 'records', 1),
    warmUpRecords: integerField(fields, 'warmUpRecords', 0),
  }
}

export function parseThroughputDone(value: unknown): ThroughputDone {
  const fields = fieldsOf(value, 'throughput baseline result')
  return {
    records: integerField(fields, 'records', 0),
    elapsedMs: finiteNumber(fields, 'elapsedMs', 0),
    checksum: integerField(fields, 'checksum'),
  }
}

export function parseLatencyDone(value: unknown): LatencyDone {
  const fields = fieldsOf(value, 'latency baseline result')
  const records = integerField(fields, 'records', 0)
  return fields.figures === undefined
    ? { records }
    : { records, figures: parseLatencyFigures(fields.figures) }
}

/** The first message of every baseline thread. */
export function isReady(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Fields).type === 'ready'
}
