import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Clock } from '../../runtime/clock/clock.js'
import { ActorTerminatedError, AskTimeoutError } from '../../runtime/errors/actor-errors.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import { RetryPolicy } from '../client/retry-policy.js'
import type { GroupRequest } from '../coordinator/coordinator-protocol.js'
import { refField } from '../protocol-fields.js'
import {
  parseCoordinatorAddress,
  type SupervisorRequest,
} from '../supervisor/supervisor-protocol.js'

/**
 * How a client keeps looking for a group's coordinator: quickly at first (an election takes tens
 * of ms), then every half second, for about 30 s in all.
 */
const REDISCOVERY = new RetryPolicy({
  retries: 66,
  initialRetryTime: 5,
  maxRetryTime: 500,
  multiplier: 2,
})
const DEFAULT_TIMEOUT_MS = 10_000

/** Errors that mean "ask again, of whichever coordinator the controller names now". */
function meansRediscover(error: unknown): boolean {
  if (error instanceof ActorTerminatedError || error instanceof AskTimeoutError) return true
  return (
    error instanceof KafkaProtocolError &&
    (error.type === 'NOT_COORDINATOR' ||
      error.type === 'COORDINATOR_NOT_AVAILABLE' ||
      error.type === 'COORDINATOR_LOAD_IN_PROGRESS')
  )
}

/**
 * Coordinators found, by controller (one per cluster, as its clients hold it) and group: the
 * clients of one cluster share them, as Kafka's clients share a connection's metadata, so a
 * consumer joining a group others are in asks for it no more.
 */
const found = new WeakMap<object, Map<string, Promise<ActorRef<GroupRequest>>>>()

/**
 * A client's line to one group's coordinator (Kafka's FindCoordinator, then the group APIs):
 * asks the controller which broker leads the group's offsets partition, then that broker for
 * its coordinator, and finds it again whenever the coordinator moved or died.
 */
export class CoordinatorClient {
  readonly #supervisor: ActorRef<SupervisorRequest>
  readonly #clock: Clock
  readonly #groupId: string
  readonly #found: Map<string, Promise<ActorRef<GroupRequest>>>
  readonly #from: string | undefined

  constructor(
    supervisor: ActorRef<SupervisorRequest>,
    clock: Clock,
    groupId: string,
    /** Whom the requests are from on their links (the client's link name). */
    from?: string,
  ) {
    this.#supervisor = supervisor
    this.#clock = clock
    this.#groupId = groupId
    this.#from = from
    let byGroup = found.get(supervisor)
    if (byGroup === undefined) {
      byGroup = new Map()
      found.set(supervisor, byGroup)
    }
    this.#found = byGroup
  }

  async request<T>(
    message: GroupRequest,
    parseReply: (value: unknown) => T,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<T> {
    let coordinator: Promise<ActorRef<GroupRequest>> | undefined
    return REDISCOVERY.run(
      async () => {
        coordinator = this.#found.get(this.#groupId)
        if (coordinator === undefined) {
          coordinator = this.#find()
          this.#found.set(this.#groupId, coordinator)
        }
        const ref = await coordinator
        return ref.ask<T>(message, { parseReply, timeoutMs, from: this.#from })
      },
      this.#clock,
      {
        shouldRetry: meansRediscover,
        beforeRetry: async () => {
          // Requests failing together forget the coordinator once, and share the next lookup.
          if (this.#found.get(this.#groupId) === coordinator) this.#found.delete(this.#groupId)
        },
      },
    )
  }

  async #find(): Promise<ActorRef<GroupRequest>> {
    const request: SupervisorRequest = { type: 'find-coordinator', groupId: this.#groupId }
    const address = await this.#supervisor.ask(request, {
      parseReply: parseCoordinatorAddress,
      from: this.#from,
    })
    const broker: ActorRef<BrokerMessage> = address.broker
    return broker.ask<ActorRef<GroupRequest>>(
      { type: 'group-coordinator' },
      { parseReply: (value) => refField<GroupRequest>({ ref: value }, 'ref'), from: this.#from },
    )
  }
}

/** Every broker's coordinator, for requests about all groups (Kafka's ListGroups goes to each). */
export async function allCoordinators(
  brokers: readonly { readonly ref: ActorRef<BrokerMessage>; readonly alive: boolean }[],
  from?: string,
): Promise<ActorRef<GroupRequest>[]> {
  return Promise.all(
    brokers
      .filter((broker) => broker.alive)
      .map((broker) =>
        broker.ref.ask<ActorRef<GroupRequest>>(
          { type: 'group-coordinator' },
          { parseReply: (value) => refField<GroupRequest>({ ref: value }, 'ref'), from },
        ),
      ),
  )
}
