import { type ActorRef, defineActor } from '../../src/runtime/index.js'

/**
 * The two ends of the messaging benchmark. State is mutated in place on purpose: the figure
 * is the runtime's cost per message, not an allocation per message in the actor.
 */
export type SinkMessage =
  | { readonly t: 'm'; readonly n: number }
  | { readonly t: 'b'; readonly items: readonly { readonly n: number }[] }
  | { readonly t: 'await'; readonly total: number }
  | { readonly t: 'ping' }

export type SourceMessage =
  | {
      readonly t: 'blast'
      readonly to: ActorRef<SinkMessage>
      readonly count: number
      readonly batchSize: number
    }
  | { readonly t: 'pings'; readonly to: ActorRef<SinkMessage>; readonly times: number }

function record(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null) throw new TypeError('not an object')
  return value as Record<string, unknown>
}

function ref(value: unknown): ActorRef<SinkMessage> {
  const candidate = record(value)
  if (typeof candidate.tell !== 'function') throw new TypeError('not an actor ref')
  return candidate as unknown as ActorRef<SinkMessage>
}

function count(value: unknown, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) throw new TypeError(`${field} is bad`)
  return value as number
}

export const sink = defineActor<SinkMessage, { received: number }>({
  parseMessage(value) {
    const message = record(value)
    switch (message.t) {
      case 'm':
        return { t: 'm', n: count(message.n, 'n') }
      case 'b':
        if (!Array.isArray(message.items)) throw new TypeError('items must be an array')
        return { t: 'b', items: message.items as { n: number }[] }
      case 'await':
        return { t: 'await', total: count(message.total, 'total') }
      case 'ping':
        return { t: 'ping' }
      default:
        throw new TypeError('unknown sink message')
    }
  },
  init: () => ({ received: 0 }),
  receive(state, message, context) {
    switch (message.t) {
      case 'm':
        state.received += 1
        return state
      case 'b':
        state.received += message.items.length
        return state
      case 'await':
        // The link is FIFO, so everything sent before this has already been counted.
        context.reply(state.received >= message.total)
        state.received = 0
        return state
      case 'ping':
        context.reply(1)
        return state
    }
  },
})

export const source = defineActor<SourceMessage, null>({
  parseMessage(value) {
    const message = record(value)
    if (message.t === 'blast') {
      return {
        t: 'blast',
        to: ref(message.to),
        count: count(message.count, 'count'),
        batchSize: count(message.batchSize, 'batchSize'),
      }
    }
    if (message.t === 'pings') {
      return { t: 'pings', to: ref(message.to), times: count(message.times, 'times') }
    }
    throw new TypeError('unknown source message')
  },
  init: () => null,
  receive(state, message, context) {
    const replier = context.deferReply()
    if (message.t === 'blast') {
      if (message.batchSize <= 1) {
        for (let n = 0; n < message.count; n++) message.to.tell({ t: 'm', n })
      } else {
        for (let sent = 0; sent < message.count; sent += message.batchSize) {
          const items = Array.from({ length: message.batchSize }, (_, index) => ({
            n: sent + index,
          }))
          message.to.tell({ t: 'b', items })
        }
      }
      message.to
        .ask<boolean>({ t: 'await', total: message.count })
        .then(replier.resolve, replier.reject)
      return state
    }
    const target = message.to
    let left = message.times
    const next = (): Promise<void> =>
      left-- > 0 ? target.ask({ t: 'ping' }).then(next) : Promise.resolve()
    next().then(() => replier.resolve(true), replier.reject)
    return state
  },
})
