import { MessagePort } from 'node:worker_threads'
import {
  type Fields,
  fieldsOf,
  integerField,
  numberField,
} from '../../src/actors/protocol-fields.js'
import { MalformedMessageError } from '../../src/runtime/errors/actor-errors.js'
import { type LatencyFigures, parseLatencyFigures } from '../latency/latency-histogram.js'
import type { SpscRingHandle } from './spsc-ring.js'

/*
 * What the baseline threads are told (their workerData) and answer. Each thread posts
 * `ready`, waits for any message as its go, runs, and posts its `done`. Threads meet through
 * a bare ring (its buffers) or a MessageChannel (one port each); see baseline-threads.ts.
 */

/** How a baseline thread hands records on (or, the receiver, takes them). */
export type HandOff =
  | { readonly kind: 'ring'; readonly ring: SpscRingHandle }
  /** One postMessage per record. */
  | { readonly kind: 'port'; readonly port: MessagePort }
  /** One postMessage per batch, each answered with its record count. */
  | { readonly kind: 'batches'; readonly port: MessagePort }
  /** Batches in from `port` (answering each), records out through `ring`. */
  | { readonly kind: 'relay'; readonly port: MessagePort; readonly ring: SpscRingHandle }

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
  readonly role: 'sender' | 'relay' | 'receiver'
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

function ringOf(fields: Fields): SpscRingHandle {
  const ring = fieldsOf(fields.ring, 'ring')
  if (!(ring.data instanceof SharedArrayBuffer) || !(ring.counters instanceof SharedArrayBuffer)) {
    throw new MalformedMessageError('a ring is two SharedArrayBuffers, data and counters')
  }
  return { data: ring.data, counters: ring.counters }
}

function portOf(fields: Fields): MessagePort {
  if (!(fields.port instanceof MessagePort)) {
    throw new MalformedMessageError(`a ${String(fields.kind)} hand-off needs a MessagePort`)
  }
  return fields.port
}

function parseHandOff(value: unknown): HandOff {
  const fields = fieldsOf(value, 'hand-off')
  switch (fields.kind) {
    case 'ring':
      return { kind: 'ring', ring: ringOf(fields) }
    case 'port':
    case 'batches':
      return { kind: fields.kind, port: portOf(fields) }
    case 'relay':
      return { kind: 'relay', port: portOf(fields), ring: ringOf(fields) }
    default:
      throw new MalformedMessageError('a hand-off is a ring, a port, batches or a relay')
  }
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
  if (fields.role !== 'sender' && fields.role !== 'relay' && fields.role !== 'receiver') {
    throw new MalformedMessageError('role must be sender, relay or receiver')
  }
  return {
    role: fields.role,
    handOff: parseHandOff(fields.handOff),
    recordSize: integerField(fields, 'recordSize', 12),
    rate: numberField(fields, 'rate', Number.MIN_VALUE),
    records: integerField(fields, 'records', 1),
    warmUpRecords: integerField(fields, 'warmUpRecords', 0),
  }
}

export function parseThroughputDone(value: unknown): ThroughputDone {
  const fields = fieldsOf(value, 'throughput baseline result')
  return {
    records: integerField(fields, 'records', 0),
    elapsedMs: numberField(fields, 'elapsedMs', 0),
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
