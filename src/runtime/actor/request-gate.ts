import type { Clock } from '../clock/clock.js'
import { ActorTerminatedError } from '../errors/actor-errors.js'
import { toWireError } from '../errors/wire-error.js'
import type { RequestDispatch, RequestSetup } from '../requests/request-dispatch.js'
import { injectedError, type RuleVerdict, waitOut } from '../requests/request-rules.js'
import {
  type LocalActor,
  type MessageEntry,
  type ReplyAddress,
  replyAddressOf,
} from './local-actor.js'

/** What the gate needs from the actors it stands in front of. */
export interface GatedActors {
  readonly stopped: boolean
  sendReply(actor: LocalActor, address: ReplyAddress, ok: boolean, value: unknown): void
  /** Puts a request the gate held back into its actor's mailbox again. */
  requeue(actor: LocalActor, entry: MessageEntry): void
}

/**
 * The dispatch point's request rules and request log, where a message is handed to an
 * actor's `receive`: a rule may answer a request with an error, drop it, or hold it back for a
 * while; the log sees each request arrive and each answer leave.
 */
export class RequestGate {
  /** `requests.active`, kept here: all that requests cost a message while nothing is on. */
  #on = false

  constructor(
    private readonly requests: RequestDispatch,
    private readonly clock: Clock,
    private readonly actors: GatedActors,
  ) {}

  /** Replaces the request rules and log setting on this thread. */
  apply(setup: RequestSetup): void {
    this.requests.apply(setup)
    this.#on = this.requests.active
  }

  /** Whether a rule keeps the request from being handled now. */
  holdsBack(actor: LocalActor, entry: MessageEntry, address: ReplyAddress | undefined): boolean {
    if (!this.#on) return false
    const describe = actor.definition.describeRequest
    if (describe === undefined) return false
    const requests = this.requests
    if (requests.wasAdmitted(entry)) {
      const record = requests.rekey(entry, address)
      if (record !== undefined && address === undefined) requests.finish(record, null)
      return false
    }
    const request = describe(actor.state, entry.body)
    if (request === undefined) return false
    const { verdict, record } = requests.arrive(request, entry.from)
    const awaitAnswer = () => {
      if (record === undefined) return
      if (address === undefined) requests.finish(record, null)
      else requests.keep(address, record)
    }
    if (verdict === undefined) {
      awaitAnswer()
      return false
    }
    const { action } = verdict
    if (action.kind === 'error') {
      awaitAnswer()
      if (address !== undefined) {
        this.actors.sendReply(actor, address, false, toWireError(injectedError(action.error)))
      }
    } else if (action.kind !== 'drop') {
      if (record !== undefined) requests.keep(entry, record)
      this.#park(actor, entry, verdict, record?.time ?? this.clock.now())
    }
    return true
  }

  /** An answer left: the log closes the request's record. */
  replied(address: ReplyAddress, ok: boolean, value: unknown): void {
    if (this.#on) this.requests.replied(address, ok, value)
  }

  /** A delayed or held request goes back to its actor once its time comes or it is let go. */
  #park(actor: LocalActor, entry: MessageEntry, verdict: RuleVerdict, since: number): void {
    void waitOut(verdict, this.clock, since).then(() => {
      if (this.actors.stopped) return
      if (!actor.alive) {
        const address = replyAddressOf(entry)
        if (address === undefined) return
        const reason = 'it stopped while a request rule held the request'
        this.actors.sendReply(
          actor,
          address,
          false,
          toWireError(ActorTerminatedError.notRunning(actor.ref.toString(), reason)),
        )
        return
      }
      this.requests.readmit(entry)
      this.actors.requeue(actor, entry)
    })
  }
}
