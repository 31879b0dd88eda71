import type { Clock } from '../clock/clock.js'

/** A poll under way: the threads yet to answer, and the answers so far. */
interface Poll<Answer> {
  readonly waitingOn: Set<number>
  readonly answers: Answer[]
  readonly done: () => void
}

/**
 * Questions put to several threads at once (what have you logged, how do you stand with
 * virtual time), each over once every thread asked has answered or died.
 */
export class ThreadPolls<Answer> {
  readonly #polls = new Map<number, Poll<Answer>>()
  #nextPoll = 1

  constructor(private readonly clock: Clock) {}

  /**
   * Puts the poll to the threads `nodes` (`ask` sends each the question, with the poll's id);
   * resolves with the answers once all have answered or died, or once `timeoutMs` has passed.
   */
  run(nodes: readonly number[], ask: (id: number) => void, timeoutMs?: number): Promise<Answer[]> {
    const answers: Answer[] = []
    const id = this.#nextPoll++
    return new Promise<Answer[]>((resolve) => {
      const timer =
        timeoutMs === undefined ? undefined : this.clock.schedule(timeoutMs, () => done())
      const done = () => {
        if (timer !== undefined) this.clock.cancel(timer)
        this.#polls.delete(id)
        resolve(answers)
      }
      this.#polls.set(id, { waitingOn: new Set(nodes), answers, done })
      ask(id)
    })
  }

  /** The thread `node` answered the poll `id` (every poll, when undefined: it died). */
  answered(node: number, id: number | undefined, answers: readonly Answer[]): void {
    for (const [pollId, poll] of this.#polls) {
      if (id !== undefined && id !== pollId) continue
      if (!poll.waitingOn.delete(node)) continue
      poll.answers.push(...answers)
      if (poll.waitingOn.size === 0) poll.done()
    }
  }

  /** The thread `node` will never answer (it died). */
  lost(node: number): void {
    this.answered(node, undefined, [])
  }

  /** Ends every poll with what it has (the system stopped). */
  stop(): void {
    for (const poll of [...this.#polls.values()]) poll.done()
  }
}
