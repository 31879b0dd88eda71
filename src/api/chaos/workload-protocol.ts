import { MessagePort } from 'node:worker_threads'
import { InvalidArgumentError } from '../../runtime/errors/samsa-error.js'
import { type GuestLinks, parseGuestLinks } from '../../runtime/thread/guest-links.js'
import type { ClientEvent } from './history.js'

/*
 * A chaos run's clients each run on a worker thread of their own (so that a stalled client is
 * one more fault), joined to the cluster's actor network as a guest. The driver hands each
 * its setup as workerData and controls it over a dedicated MessagePort through comlink.
 */

/** What a client thread is told when it starts. */
export interface WorkloadSetup {
  readonly role: 'producer' | 'consumer'
  /** The client's name in the history: `p0`, `c1`. */
  readonly name: string
  readonly links: GuestLinks
  /** Where the controller (the supervisor actor) is. */
  readonly supervisor: { readonly node: number; readonly name: string }
  /** The driver's end is wrapped by comlink; this end exposes `WorkloadControl`. */
  readonly control: MessagePort
  /** The run's start on the system clock (epoch ms): history times are counted from it. */
  readonly startedAt: number
  readonly topic: string
  readonly group: string
  readonly partitions: number
  readonly acks: -1 | 1
  readonly idempotent: boolean
}

/**
 * The control surface of a client thread. Every call the driver makes has a deadline: a
 * stalled or dead thread never answers (see control-deadline.ts).
 */
export interface WorkloadControl {
  /** Connects the client and sets it working; resolves once it is (a consumer has joined). */
  start(): Promise<void>
  /** Stalls the whole thread for `forMs` (nothing runs on it), right after answering. */
  pause(forMs: number): void
  /** The events recorded from index `from` on: a snapshot whose answer was missed loses none. */
  snapshot(from: number): ClientEvent[]
  /** Stops the client and disconnects it; resolves with the number of sends it made. */
  stop(): Promise<number>
}

/** The clients' names: group members `c0`, `c1`, … then producers `p0`, `p1`, …. */
export function clientNames(counts: { readonly producers: number; readonly consumers: number }) {
  return [
    ...Array.from({ length: counts.consumers }, (_, index) => `c${index}`),
    ...Array.from({ length: counts.producers }, (_, index) => `p${index}`),
  ]
}

export function parseWorkloadSetup(value: unknown): WorkloadSetup {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError('the workload setup is missing')
  }
  const fields = value as Record<string, unknown>
  const supervisor = fields.supervisor as Record<string, unknown> | null | undefined
  if (fields.role !== 'producer' && fields.role !== 'consumer') {
    throw new InvalidArgumentError('the workload role is neither producer nor consumer')
  }
  if (
    typeof fields.name !== 'string' ||
    typeof fields.topic !== 'string' ||
    typeof fields.group !== 'string'
  ) {
    throw new InvalidArgumentError('the workload setup needs a name, a topic and a group')
  }
  if (
    typeof supervisor !== 'object' ||
    supervisor === null ||
    !Number.isInteger(supervisor.node) ||
    typeof supervisor.name !== 'string'
  ) {
    throw new InvalidArgumentError("the workload setup needs the supervisor's node and name")
  }
  if (!(fields.control instanceof MessagePort)) {
    throw new InvalidArgumentError('the workload setup needs a control port')
  }
  if (typeof fields.startedAt !== 'number' || !Number.isFinite(fields.startedAt)) {
    throw new InvalidArgumentError('the workload setup needs the run start')
  }
  if (!Number.isInteger(fields.partitions) || (fields.partitions as number) < 1) {
    throw new InvalidArgumentError('the workload setup needs a partition count')
  }
  if ((fields.acks !== -1 && fields.acks !== 1) || typeof fields.idempotent !== 'boolean') {
    throw new InvalidArgumentError('the workload setup needs acks (-1 or 1) and idempotence')
  }
  return {
    role: fields.role,
    name: fields.name,
    links: parseGuestLinks(fields.links),
    supervisor: { node: supervisor.node as number, name: supervisor.name },
    control: fields.control,
    startedAt: fields.startedAt,
    topic: fields.topic,
    group: fields.group,
    partitions: fields.partitions as number,
    acks: fields.acks,
    idempotent: fields.idempotent,
  }
}
