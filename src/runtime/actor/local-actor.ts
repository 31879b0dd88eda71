import type { ActorContext, ActorDefinition } from './actor-definition.js'
import type { ActorRef } from './actor-ref.js'
import type { Mailbox, MailboxEntry } from './mailbox.js'
import type { RestartHistory, SupervisionPolicy } from './supervision.js'

/** Where the answer to an ask goes: the asker's thread, its name, and the ask's id there. */
export interface ReplyAddress {
  readonly node: number
  readonly askId: number
  readonly asker: string
}

/** A message (not a signal) in a mailbox. */
export type MessageEntry = Extract<MailboxEntry, { kind: 'message' }>

/** One actor hosted on this thread: its logic, its state and its place in the run queue. */
export interface LocalActor {
  readonly name: string
  readonly ref: ActorRef<never>
  readonly definition: ActorDefinition<unknown, unknown, unknown>
  readonly args: unknown
  /** 'escalate': the actor a thread is for, whose failure is the thread's (see actor-thread.ts). */
  readonly policy: SupervisionPolicy | 'escalate'
  readonly parent: LocalActor | undefined
  readonly mailbox: Mailbox
  readonly context: ActorContext<unknown>
  state: unknown
  history: RestartHistory
  alive: boolean
  scheduled: boolean
  /** Where the answer to the message being handled goes, when it is an ask. */
  pendingReply: ReplyAddress | undefined
  currentSender: ActorRef<never> | undefined
}

/** Where the answer to `entry` goes; undefined when it is a tell. */
export function replyAddressOf(entry: MessageEntry): ReplyAddress | undefined {
  return entry.askId === 0
    ? undefined
    : { node: entry.origin, askId: entry.askId, asker: entry.from }
}
