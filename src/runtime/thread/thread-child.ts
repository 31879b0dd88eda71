import type { Worker } from 'node:worker_threads'
import type { RestartHistory, SupervisionPolicy } from '../actor/supervision.js'
import { SamsaError } from '../errors/samsa-error.js'

/* What the thread supervisor is asked to run, and what it keeps of each thread it runs. */

/** An actor to run alone on its own worker thread, loaded there from `module`. */
export interface ThreadSpawnSpec<Args> {
  /** The module that exports the actor's definition (a file URL, `.ts` or `.js`). */
  readonly module: URL
  readonly exportName: string
  readonly name: string
  readonly args: Args
  readonly supervision?: SupervisionPolicy
}

export interface ThreadSupervisorOptions {
  /** How often a thread says it is alive. */
  readonly heartbeatIntervalMs?: number
  /** Silence longer than this (on the parent's clock) counts as death. */
  readonly heartbeatTimeoutMs?: number
}

export type ChildStatus = 'starting' | 'running' | 'down' | 'stopped'

export interface ThreadChild {
  readonly node: number
  readonly spec: ThreadSpawnSpec<unknown>
  readonly policy: SupervisionPolicy
  worker: Worker | undefined
  status: ChildStatus
  lastHeartbeatAt: number
  history: RestartHistory
  firstStart: { resolve: () => void; reject: (error: unknown) => void } | undefined
  appliedFaultsVersion: number
  appliedRequestsVersion: number
  /** Set while the thread is paused; storing 1 in it lets the thread go on. */
  pauseGate: Int32Array | undefined
}

/** Failed to start an actor thread: its module, export or arguments are wrong. */
export class ThreadSpawnError extends SamsaError {
  override readonly name: string = 'ThreadSpawnError'
}
