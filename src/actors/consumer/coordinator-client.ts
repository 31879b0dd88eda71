import type { ActorRef } from '../../runtime/actor/actor-ref.js'
import type { Clock } from '../../runtime/clock/clock.js'
import { ActorTerminatedError, AskTimeoutError } from '../../runtime/errors/actor-errors.js'
import { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { BrokerMessage } from '../broker/broker-protocol.js'
import { RetryPolicy } from '../client/retry-policy.js'
import type { GroupRequest } from '../coordinator/coordinator-protocol.js'
import { refField } from '../protocol-fields.js'
import {
  type CoordinatorKind,
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
 * Coordinators found, by controller (one per cluster, as its clients hold it), kind and key:
 * the clients of one cluster share them, as Kafka's clients share a connection's metadata, so
 * a consumer joining a group others are in asks for it no more.
 */
const found = new WeakMap<object, Map<string, Promise<ActorRef<never>>>>()

/**
 * A client's line to one coordinator (Kafka's FindCoordinator, then the group or transaction
 * APIs): asks the controller which broker leads the key's partition of the internal topic,
 * then that broker for its coordinator, and finds it again whenever it moved or died.
 */
export class CoordinatorClient<Request = GroupRequest> {
  readonly #supervisor: ActorRef<SupervisorRequest>
  readonly #clock: Clock
  readonly #key: string
  readonly #kind: CoordinatorKind
  readonly #foundKey: string
  readonly #found: Map<string, Promise<ActorRef<never>>>
  readonly #from: string | undefined

  constructor(
    supervisor: ActorRef<SupervisorRequest>,
    clock: Clock,
    /** The group id, or the transactional id of a transaction coordinator. */
    key: string,
    /** Whom the requests are from on their links (the client's link name). */
    from?: string,
    kind: CoordinatorKind = 'group',
  ) {
    this.#supervisor = supervisor
    this.#clock = clock
    this.#key = key
    this.#kind = kind
    this.#foundKey = `${kind}\u0000${key}`
    this.#from = from
    let byGroup = found.get(supervisor)
    if (byGroup === undefined) {
      byGroup = new Map()
      found.set(supervisor, byGroup)
    }
    this.#found = byGroup
  }

  async request<T>(
    message: Request,
    parseReply: (value: unknown) => T,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<T> {
    let coordinator: Promise<ActorRef<never>> | undefined
    return REDISCOVERY.run(
      async () => {
        coordinator = this.#found.get(this.#foundKey)
        if (coordinator === undefined) {
          coordinator = this.#find()
          this.#found.set(this.#foundKey, coordinator)
        }
        const ref = (await coordinator) as ActorRef<Request>
        return ref.ask<T>(message, { parseReply, timeoutMs, from: this.#from })
      },
      this.#clock,
      {
        shouldRetry: meansRediscover,
        beforeRetry: async () => {
          // Requests failing together forget the coordinator once, and share the next lookup.
          if (this.#found.get(this.#foundKey) === coordinator) this.#found.delete(this.#foundKey)
        },
      },
    )
  }

  async #find(): Promise<ActorRef<never>> {
    const request: SupervisorRequest = {
      type: 'find-coordinator',
      groupId: this.#key,
      kind: this.#kind,
    }
    const address = await this.#supervisor.ask(request, {
      parseReply: parseCoordinatorAddress,
      from: this.#from,
    })
    const broker: ActorRef<BrokerMessage> = address.broker
    return broker.ask<ActorRef<never>>(
      { type: this.#kind === 'group' ? 'group-coordinator' : 'transaction-coordinator' },
      { parseReply: (value) => refField<never>({ ref: value }, 'ref'), from: this.#from },
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
