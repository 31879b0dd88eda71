import type { Clock } from '../clock/clock.js'
import { toWireError } from '../errors/wire-error.js'
import type { ActorContext, ActorDefinition, Replier, SpawnOptions } from './actor-definition.js'
import type { ActorRef } from './actor-ref.js'
import type { LocalActor, ReplyAddress } from './local-actor.js'

/** What an actor's context does through the actors of its thread. */
export interface ContextHost {
  readonly clock: Clock
  readonly stopped: boolean
  sendReply(actor: LocalActor, address: ReplyAddress, ok: boolean, value: unknown): void
  /** Tells `actor` a message of its own, straight into its mailbox. */
  tellSelf(actor: LocalActor, message: unknown): void
  /** Whether a fault rule cuts the link from the actor `from` to the actor `to`. */
  isCut(from: string, to: string): boolean
  spawnChild<Msg, State, Args>(
    definition: ActorDefinition<Msg, State, Args>,
    options: SpawnOptions<Args>,
    parent: LocalActor,
  ): ActorRef<Msg>
  remove(actor: LocalActor, reason: string): void
}

/** The context `actor` handles its messages with. */
export function contextFor(actor: LocalActor, host: ContextHost): ActorContext<unknown> {
  const takeReply = (): ReplyAddress | undefined => {
    const address = actor.pendingReply
    actor.pendingReply = undefined
    return address
  }
  return {
    self: actor.ref as ActorRef<unknown>,
    clock: host.clock,
    get sender() {
      return actor.currentSender
    },
    reply(value) {
      const address = takeReply()
      if (address !== undefined) host.sendReply(actor, address, true, value)
    },
    replyError(error) {
      const address = takeReply()
      if (address !== undefined) host.sendReply(actor, address, false, toWireError(error))
    },
    deferReply(): Replier {
      const address = takeReply()
      let settled = address === undefined
      return {
        resolve(value) {
          if (settled || address === undefined) return
          settled = true
          host.sendReply(actor, address, true, value)
        },
        reject(error) {
          if (settled || address === undefined) return
          settled = true
          host.sendReply(actor, address, false, toWireError(error))
        },
      }
    },
    scheduleSelf(delayMs, message) {
      return host.clock.schedule(delayMs, () => {
        if (actor.alive) host.tellSelf(actor, message)
      })
    },
    cancelTimer(timer) {
      host.clock.cancel(timer)
    },
    pipeToSelf(work, toMessage) {
      const deliver = (message: unknown) => {
        if (actor.alive && !host.stopped) host.tellSelf(actor, message)
      }
      work.then(
        (value) => deliver(toMessage({ ok: true, value })),
        (error: unknown) => deliver(toMessage({ ok: false, error })),
      )
    },
    isCutFrom(other) {
      return host.isCut(actor.name, other.name)
    },
    spawn(definition, options) {
      return host.spawnChild(definition, options, actor)
    },
    stopSelf() {
      host.remove(actor, 'stopped itself')
    },
  }
}
