import type { Clock } from '../../runtime/clock/clock.js'
import { SamsaError } from '../../runtime/errors/samsa-error.js'

/** A control call to a client thread that was not answered in time: the thread is stalled or dead. */
export class ControlDeadlineError extends SamsaError {
  override readonly name: string = 'ControlDeadlineError'

  constructor(
    /** The call and its client: `snapshot of c1`. */
    readonly call: string,
    readonly deadlineMs: number,
  ) {
    super(`${call} got no answer within ${deadlineMs} ms`, { retriable: true })
  }
}

/**
 * `work`, or a ControlDeadlineError naming `call` once `deadlineMs` has passed on `clock`. A
 * call to a thread that never answers (comlink's calls never settle then) cannot hang the run.
 */
export function withDeadline<T>(
  clock: Clock,
  deadlineMs: number,
  call: string,
  work: Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.schedule(deadlineMs, () =>
      reject(new ControlDeadlineError(call, deadlineMs)),
    )
    work.then(
      (value) => {
        clock.cancel(timer)
        resolve(value)
      },
      (error: unknown) => {
        clock.cancel(timer)
        reject(error)
      },
    )
  })
}
