import { describe, expect, it } from 'vitest'
import { type GivenUp, isRetriable, RetryPolicy } from '../../../src/actors/client/retry-policy.js'
import { ManualClock } from '../../../src/runtime/clock/clock.js'
import { KafkaProtocolError } from '../../../src/runtime/errors/samsa-error.js'

const policy = new RetryPolicy({
  retries: 3,
  initialRetryTime: 100,
  maxRetryTime: 250,
  multiplier: 2,
})

/** Lets the pending promise callbacks run, so the policy reaches its next wait. */
const settle = () => new Promise((resolve) => setImmediate(resolve))

describe('isRetriable', () => {
  it('takes a broker error from Kafka’s error table', () => {
    expect(isRetriable(new KafkaProtocolError('NOT_LEADER_OR_FOLLOWER', 'moved'))).toBe(true)
    expect(isRetriable(new KafkaProtocolError('MESSAGE_TOO_LARGE', 'too big'))).toBe(false)
  })

  it('retries a failing handler but not a programming error', () => {
    expect(isRetriable(new Error('the handler failed'))).toBe(true)
    expect(isRetriable(new TypeError('x is not a function'))).toBe(false)
    expect(isRetriable(Object.assign(new Error('marked'), { retriable: false }))).toBe(false)
  })
})

describe('RetryPolicy', () => {
  it('waits longer each time, up to maxRetryTime', () => {
    expect([0, 1, 2, 3].map((count) => policy.delayAfter(count))).toEqual([100, 200, 250, 250])
  })

  it('retries a retriable error on the clock, refreshing before each wait, and succeeds', async () => {
    const clock = new ManualClock()
    let attempts = 0
    let refreshes = 0
    const result = policy.run(
      async () => {
        attempts++
        if (attempts < 3) throw new KafkaProtocolError('LEADER_NOT_AVAILABLE', 'electing')
        return 'done'
      },
      clock,
      {
        beforeRetry: async () => {
          refreshes++
        },
      },
    )
    await settle()
    expect(attempts).toBe(1)
    clock.advance(99)
    await settle()
    expect(attempts).toBe(1)
    clock.advance(1)
    await settle()
    expect(attempts).toBe(2)
    clock.advance(200)
    expect(await result).toBe('done')
    expect({ attempts, refreshes }).toEqual({ attempts: 3, refreshes: 2 })
  })

  it('gives up at once on an error that is not worth retrying', async () => {
    const clock = new ManualClock()
    const refused = new KafkaProtocolError('MESSAGE_TOO_LARGE', 'too big')
    let outcome: GivenUp | undefined
    const run = policy.run(
      async () => {
        throw refused
      },
      clock,
      { giveUp: (givenUp) => Object.assign(new Error('gave up'), { givenUp }) },
    )
    await run.catch((error: { givenUp: GivenUp }) => {
      outcome = error.givenUp
    })
    expect(outcome).toMatchObject({ error: refused, retryCount: 0, exhausted: false })
  })

  it('gives up after its retries with how many it made and how long they took', async () => {
    const clock = new ManualClock()
    let outcome: GivenUp | undefined
    const run = policy
      .run(
        async () => {
          throw new KafkaProtocolError('REQUEST_TIMED_OUT', 'slow')
        },
        clock,
        { giveUp: (givenUp) => Object.assign(new Error('gave up'), { givenUp }) },
      )
      .catch((error: { givenUp: GivenUp }) => {
        outcome = error.givenUp
      })
    for (let i = 0; i < 3; i++) {
      await settle()
      clock.advance(250)
    }
    await run
    expect(outcome).toMatchObject({ retryCount: 3, exhausted: true, elapsedMs: 750 })
  })
})
