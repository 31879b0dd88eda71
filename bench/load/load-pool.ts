import type { MessagePort } from 'node:worker_threads'
import { Piscina } from 'piscina'
import { importableInThread, siblingEntry } from '../../src/runtime/thread/spawn-thread.js'
import { parseShareOutcome, type ShareOutcome } from './load-protocol.js'

/*
 * The pool of load-generator threads (piscina): one thread per producer and per consumer,
 * all started up front, since a producer waits on its consumers' progress and a task queued
 * behind another would never start. From the sources each worker loads the tasks' transpiled
 * mirror (see src/runtime/thread/source-mirror.ts); from a build, load-tasks.js.
 */

export type LoadTask = 'produceShare' | 'consumeShare' | 'latencyProducer' | 'latencyConsumer'

/** The pool's task threads: one per producer and consumer. */

export class LoadPool {
  private constructor(private readonly pool: Piscina) {}

  /** A pool of `threads` workers, each with the task module loaded. */
  static async open(threads: number): Promise<LoadPool> {
    const filename = importableInThread(siblingEntry(import.meta.url, 'load-tasks'))
    const pool = new Piscina({
      filename,
      minThreads: threads,
      maxThreads: threads,
      // Tasks are long and few: idle workers would only sit in Atomics.wait between them.
      idleTimeout: Number.POSITIVE_INFINITY,
    })
    // One task per worker, all at once (a worker takes one task at a time): once they are
    // back, every worker has loaded the task module, and no run times a worker's start-up.
    const started = await Promise.all(
      Array.from({ length: threads }, () => pool.run(undefined, { name: 'warmUp' })),
    )
    if (new Set(started).size !== threads) {
      await pool.destroy()
      throw new Error(`the load pool started ${new Set(started).size} of ${threads} threads`)
    }
    return new LoadPool(pool)
  }

  /** Runs one share of a load on a free worker; its outcome is validated. */
  run(task: LoadTask, input: object, transferList: MessagePort[] = []): Promise<ShareOutcome> {
    return this.runTask(task, input, parseShareOutcome, transferList)
  }

  /** Runs one task on a free worker; `parse` checks its outcome, as anything from a thread. */
  async runTask<Outcome>(
    task: LoadTask,
    input: object,
    parse: (value: unknown) => Outcome,
    transferList: MessagePort[] = [],
  ): Promise<Outcome> {
    const outcome: unknown = await this.pool.run(input, { name: task, transferList })
    return parse(outcome)
  }

  close(): Promise<void> {
    return this.pool.destroy()
  }
}
