import { afterEach, describe, expect, it } from 'vitest'
import {
  type ActorRef,
  ActorSystem,
  ActorTerminatedError,
  AskTimeoutError,
  type ChildTerminated,
  defineActor,
  InvalidArgumentError,
  MalformedMessageError,
  ManualClock,
  SystemStoppedError,
} from '../../../src/runtime/index.js'
import { type CounterMessage, counter } from '../../fixtures/test-actors.js'

const systems: ActorSystem[] = []
function startSystem(clock = new ManualClock()): { system: ActorSystem; clock: ManualClock } {
  const system = ActorSystem.start({ clock, defaultAskTimeoutMs: 1_000 })
  systems.push(system)
  return { system, clock }
}
afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.stop()))
})

describe('ActorSystem on one thread', () => {
  it('delivers tells in order and answers asks', async () => {
    const { system } = startSystem()
    const ref = system.spawn(counter, { name: 'counter', args: undefined })
    for (let n = 1; n <= 100; n++) ref.tell({ type: 'add', n })
    await expect(ref.ask<number>({ type: 'get' })).resolves.toBe(5050)
  })

  it('parses a reply with parseReply even when it never left the thread', async () => {
    const { system } = startSystem()
    const ref = system.spawn(counter, { name: 'counter', args: { start: 20 } })
    const doubled = ref.ask({ type: 'get' }, { parseReply: (value) => Number(value) * 2 })
    await expect(doubled).resolves.toBe(40)
    const refused = ref.ask(
      { type: 'get' },
      {
        parseReply: () => {
          throw new TypeError('no')
        },
      },
    )
    await expect(refused).rejects.toBeInstanceOf(MalformedMessageError)
  })

  it('times an ask out on the clock, without sleeping', async () => {
    const { system, clock } = startSystem()
    const ref = system.spawn(counter, { name: 'counter', args: undefined })
    const reply = ref.ask({ type: 'ignore' }, { timeoutMs: 250 })
    await Promise.resolve()
    clock.advance(249)
    let settled = false
    reply
      .catch(() => {})
      .finally(() => {
        settled = true
      })
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    clock.advance(1)
    await expect(reply).rejects.toBeInstanceOf(AskTimeoutError)
  })

  it('lets an actor ask another and answer later', async () => {
    const { system } = startSystem()
    const a = system.spawn(counter, { name: 'a', args: undefined })
    const b = system.spawn(counter, { name: 'b', args: { start: 41 } })
    b.tell({ type: 'add', n: 1 })
    await expect(a.ask<number>({ type: 'ask-total-of', other: b })).resolves.toBe(42)
  })

  it('restarts a failed actor with fresh state and rejects the ask that failed it', async () => {
    const { system } = startSystem()
    const signals: ChildTerminated[] = []
    system.on('terminated', (signal) => signals.push(signal))
    const ref = system.spawn(counter, { name: 'c', args: { start: 5 } })
    ref.tell({ type: 'add', n: 10 })
    await expect(ref.ask({ type: 'crash' })).rejects.toThrow('asked to crash')
    await expect(ref.ask<number>({ type: 'get' })).resolves.toBe(5)
    expect(signals).toEqual([expect.objectContaining({ restarting: true })])
  })

  it('leaves a failed actor down under the stop policy, and asks to it are rejected', async () => {
    const { system } = startSystem()
    const ref = system.spawn(counter, {
      name: 'c',
      args: undefined,
      supervision: { strategy: 'stop' },
    })
    ref.tell({ type: 'crash' })
    await expect(ref.ask({ type: 'get' })).rejects.toBeInstanceOf(ActorTerminatedError)
  })

  it('stops restarting once the restart budget is spent', async () => {
    const { system } = startSystem()
    const signals: ChildTerminated[] = []
    system.on('terminated', (signal) => signals.push(signal))
    const ref = system.spawn(counter, {
      name: 'c',
      args: undefined,
      supervision: { strategy: 'restart', maxRestarts: 2, withinMs: 1_000 },
    })
    for (let attempt = 0; attempt < 3; attempt++) {
      await ref.ask({ type: 'crash' }).catch(() => {})
    }
    expect(signals.map((signal) => signal.restarting)).toEqual([true, true, false])
    expect(signals[2]?.reason).toContain('restart budget spent')
  })

  it('tells a parent actor when its child dies', async () => {
    const { system } = startSystem()
    type ParentMessage = { type: 'start-child' } | { type: 'deaths' }
    const parent = defineActor<
      ParentMessage,
      { child?: ActorRef<CounterMessage>; deaths: string[] }
    >({
      parseMessage: (value) => value as ParentMessage,
      init: () => ({ deaths: [] }),
      receive(state, message, context) {
        if (message.type === 'deaths') {
          context.reply(state.deaths)
          return state
        }
        const child = context.spawn(counter, {
          name: 'child',
          args: undefined,
          supervision: { strategy: 'stop' },
        })
        child.tell({ type: 'crash' })
        return { ...state, child }
      },
      onChildTerminated: (state, signal) => ({
        ...state,
        deaths: [...state.deaths, `${signal.child.name}: ${signal.restarting}`],
      }),
    })
    const ref = system.spawn(parent, { name: 'parent', args: undefined })
    ref.tell({ type: 'start-child' })
    await new Promise((resolve) => setImmediate(resolve))
    await expect(ref.ask({ type: 'deaths' })).resolves.toEqual(['child: false'])
  })

  it('refuses bad names and calls after stop with typed errors', async () => {
    const { system } = startSystem()
    system.spawn(counter, { name: 'c', args: undefined })
    expect(() => system.spawn(counter, { name: 'c', args: undefined })).toThrow(
      InvalidArgumentError,
    )
    expect(() => system.spawn(counter, { name: '', args: undefined })).toThrow(InvalidArgumentError)
    const ref = system.refFor<CounterMessage>(0, 'c')
    const pending = ref.ask({ type: 'ignore' })
    await system.stop()
    await expect(pending).rejects.toBeInstanceOf(SystemStoppedError)
    expect(() => ref.tell({ type: 'get' })).toThrow(SystemStoppedError)
  })

  it('answers an ask to a missing actor at once', async () => {
    const { system } = startSystem()
    await expect(system.refFor(0, 'nobody').ask({})).rejects.toBeInstanceOf(ActorTerminatedError)
  })

  it("sends under a client's own name when given one: link faults match it, not $outside", async () => {
    const { system, clock } = startSystem()
    const ref = system.spawn(counter, { name: 'counter', args: undefined })
    system.applyFaultRules([{ from: '$producer-1', to: 'counter', cut: true }])
    ref.tell({ type: 'add', n: 1 }, { from: '$producer-1' })
    ref.tell({ type: 'add', n: 2 })
    await expect(ref.ask<number>({ type: 'get' })).resolves.toBe(2)
    const cutOff = ref.ask({ type: 'get' }, { from: '$producer-1', timeoutMs: 100 })
    await Promise.resolve()
    clock.advance(100)
    await expect(cutOff).rejects.toBeInstanceOf(AskTimeoutError)
  })
})
