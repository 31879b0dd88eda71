import type { ActorDefinition } from './actor-definition.js'

/**
 * The actor `definition`, but a request of one of the `requests` kinds that throws (an
 * allocation that fails, a bug met by one odd input) is answered with the error and the actor
 * serves on, as a Kafka broker answers one bad request and keeps its other partitions: left to
 * supervision, the throw would take down the actor and all it hosts. The state stays as the
 * handler left it, so handlers do what can fail before they change it. Anything else that
 * throws (timers, the actor's own messages) still fails the actor, as before.
 */
export function answeringRequestFailures<Msg extends { readonly type: string }, State, Args>(
  definition: ActorDefinition<Msg, State, Args>,
  requests: ReadonlySet<Msg['type']>,
): ActorDefinition<Msg, State, Args> {
  return {
    ...definition,
    receive(state, message, context) {
      try {
        return definition.receive(state, message, context)
      } catch (error) {
        if (!requests.has(message.type)) throw error
        context.replyError(error)
        return state
      }
    },
  }
}
