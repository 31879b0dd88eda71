import type { Clock, Timer } from '../clock/clock.js'
import type { RequestDescription } from '../requests/request-rules.js'
import type { ActorRef } from './actor-ref.js'
import type { SupervisionPolicy } from './supervision.js'

/** Answers one `ask`, now or later (a reply may wait for other work, as acks=all does). */
export interface Replier {
  resolve(value: unknown): void
  reject(error: unknown): void
}

/** Why an actor or its thread stopped, as told to its parent. */
export interface ChildTerminated {
  readonly type: 'child-terminated'
  readonly child: ActorRef<never>
  readonly reason: string
  readonly restarting: boolean
}

export interface SpawnOptions<Args> {
  readonly name: string
  readonly args: Args
  readonly supervision?: SupervisionPolicy
}

/** What an actor can do while it handles a message. */
export interface ActorContext<Msg> {
  readonly self: ActorRef<Msg>
  readonly clock: Clock
  /** The actor that sent the current message, when it was sent from inside an actor. */
  readonly sender: ActorRef<never> | undefined
  /** Answers the ask being handled (nothing happens when the message was a tell). */
  reply(value: unknown): void
  /** Answers the ask being handled with an error; the actor itself carries on. */
  replyError(error: unknown): void
  /** Takes over the current ask's answer, to give it after this handler returns. */
  deferReply(): Replier
  /** Tells `message` to this actor after `delayMs` of the clock. */
  scheduleSelf(delayMs: number, message: Msg): Timer
  cancelTimer(timer: Timer): void
  /** Feeds a promise's outcome back in as a message, one message at a time like any other. */
  pipeToSelf<T>(
    work: Promise<T>,
    toMessage: (outcome: { ok: true; value: T } | { ok: false; error: unknown }) => Msg,
  ): void
  /** Whether a fault rule cuts the link from this actor to `other` (see LinkFaults.isCut). */
  isCutFrom(other: ActorRef<never>): boolean
  /** Starts a child on this thread; its failures come back through `onChildTerminated`. */
  spawn<ChildMsg, ChildState, ChildArgs>(
    definition: ActorDefinition<ChildMsg, ChildState, ChildArgs>,
    options: SpawnOptions<ChildArgs>,
  ): ActorRef<ChildMsg>
  stopSelf(): void
}

/**
 * An actor's logic: plain functions over its state (XState style). The runtime owns the
 * mailbox and calls `receive` for one message at a time.
 */
export interface ActorDefinition<Msg, State, Args = undefined> {
  /** Validates a message that arrived from another thread; throws to reject it. */
  readonly parseMessage: (value: unknown) => Msg
  /** Validates spawn arguments that arrived from another thread (needed for thread spawns). */
  readonly parseArgs?: (value: unknown) => Args
  /**
   * Which of Kafka's requests a message is (undefined for messages between actors), so that
   * request rules and the request log see it. Called only while rules or the log are on.
   */
  readonly describeRequest?: (state: State, message: Msg) => RequestDescription | undefined
  init(args: Args, context: ActorContext<Msg>): State
  receive(state: State, message: Msg, context: ActorContext<Msg>): State
  onChildTerminated?(state: State, signal: ChildTerminated, context: ActorContext<Msg>): State
  /** Last call before the actor is removed (stop, or a failure it will not restart from). */
  stopped?(state: State): void
}

/** Identity, for inference: `export const pinger = defineActor({ … })`. */
export function defineActor<Msg, State, Args = undefined>(
  definition: ActorDefinition<Msg, State, Args>,
): ActorDefinition<Msg, State, Args> {
  return definition
}
