import { afterEach, describe, expect, it } from 'vitest'
import {
  type ActorRef,
  ActorSystem,
  ActorTerminatedError,
  AskTimeoutError,
} from '../../src/runtime/index.js'
import { joinAsGuest } from '../../src/runtime/thread/guest-links.js'
import { type CounterMessage, counter } from '../fixtures/test-actors.js'
import { within } from '../support/within.js'

const FIXTURES = new URL('../fixtures/test-actors.ts', import.meta.url)
const cleanups: (() => Promise<void>)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A system with one counter on a thread of its own, one on the main thread, and a guest. */
async function networkWithGuest(strategy: 'restart' | 'stop') {
  const system = ActorSystem.start({ defaultAskTimeoutMs: 10_000 })
  cleanups.push(() => system.stop())
  const onThread = await system.spawnOnThread<CounterMessage>({
    module: FIXTURES,
    exportName: 'counter',
    name: 'counter',
    args: undefined,
    supervision:
      strategy === 'stop' ? { strategy } : { strategy, maxRestarts: 3, withinMs: 60_000 },
  })
  system.spawn(counter, { name: 'main-counter', args: undefined })
  // The guest's system lives on this thread too: what matters is that it has its own links.
  const guest = joinAsGuest(system.connectGuest())
  cleanups.push(() => guest.leave())
  const fromGuest = guest.system.refFor<CounterMessage>(onThread.node, 'counter')
  const mainFromGuest = guest.system.refFor<CounterMessage>(0, 'main-counter')
  return { system, onThread, fromGuest, mainFromGuest }
}

const askTotal = (ref: ActorRef<CounterMessage>, timeoutMs = 10_000) =>
  ref.ask<number>({ type: 'get' }, { from: 'guest-client', timeoutMs })

describe('a guest thread in the actor network', () => {
  it('reaches an actor whose thread restarted after the guest joined', async () => {
    const { system, onThread, fromGuest } = await networkWithGuest('restart')
    fromGuest.tell({ type: 'add', n: 5 })
    await expect(askTotal(fromGuest)).resolves.toBe(5)
    const restarted = new Promise<void>((resolve) => system.on('restarted', () => resolve()))
    system.crashThread(onThread)
    await within(10_000, 'the counter thread restarting', restarted)
    // A fresh counter, reached over the channel the restart gave the guest.
    await expect(askTotal(fromGuest)).resolves.toBe(0)
  })

  it('hears of a thread dying, so its asks fail at once instead of at their deadline', async () => {
    const { system, onThread, fromGuest } = await networkWithGuest('stop')
    const terminated = new Promise<void>((resolve) => system.on('terminated', () => resolve()))
    system.crashThread(onThread)
    await within(10_000, 'the counter thread dying', terminated)
    // Its deadline is 10 s: only the news of the death settles it sooner.
    await expect(
      within(5_000, 'the guest learning of the death', askTotal(fromGuest)),
    ).rejects.toBeInstanceOf(ActorTerminatedError)
  })

  it('applies the link faults in force when it joined and those set after', async () => {
    const { system, fromGuest, mainFromGuest } = await networkWithGuest('restart')
    await system.setFaultRules([{ from: 'guest-client', to: 'counter', cut: true }])
    // The rules travel on the guest's channel to the main thread ahead of this answer.
    await askTotal(mainFromGuest)
    await expect(askTotal(fromGuest, 300)).rejects.toBeInstanceOf(AskTimeoutError)
    await system.setFaultRules([])
    await askTotal(mainFromGuest)
    await expect(askTotal(fromGuest)).resolves.toBe(0)

    await system.setFaultRules([{ from: 'guest-client', to: 'counter', cut: true }])
    const late = joinAsGuest(system.connectGuest())
    cleanups.push(() => late.leave())
    const lateToMain = late.system.refFor<CounterMessage>(0, 'main-counter')
    await askTotal(lateToMain)
    const lateToThread = late.system.refFor<CounterMessage>(fromGuest.node, 'counter')
    await expect(askTotal(lateToThread, 300)).rejects.toBeInstanceOf(AskTimeoutError)
  })
})
