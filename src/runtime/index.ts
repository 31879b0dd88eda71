export type {
  ActorContext,
  ActorDefinition,
  ChildTerminated,
  Replier,
  SpawnOptions,
} from './actor/actor-definition.js'
export { defineActor } from './actor/actor-definition.js'
export { ActorRef, type AskOptions } from './actor/actor-ref.js'
export {
  ActorSystem,
  type ActorSystemEvents,
  type ActorSystemOptions,
  OUTSIDE,
} from './actor/actor-system.js'
export type { SupervisionPolicy } from './actor/supervision.js'
export { type Clock, ManualClock, SystemClock, type Timer } from './clock/clock.js'
export {
  ActorTerminatedError,
  AskTimeoutError,
  MalformedMessageError,
  SystemStoppedError,
  UnencodableMessageError,
} from './errors/actor-errors.js'
export { KAFKA_ERROR_CODES, type KafkaErrorType } from './errors/kafka-error-codes.js'
export { InvalidArgumentError, KafkaProtocolError, SamsaError } from './errors/samsa-error.js'
export { ThreadSpawnError, type ThreadSpawnSpec } from './thread/thread-child.js'
export type { LinkFaultRule } from './transport/link-faults.js'
