/** Options of one message. */
export interface SendOptions {
  /**
   * Whom the message is from, when that is not the actor whose turn this is: a client's own
   * name on its links (starting with '$', as no actor's does), so that fault rules can single
   * that client out; or an actor's own name, for what it sends from a promise's continuation
   * (which runs in no actor's turn). Left out: the actor whose turn this is, else `$outside`.
   */
  readonly from?: string
}

/** Options of one `ask`. */
export interface AskOptions<Reply> extends SendOptions {
  /** Deadline for the reply; the system's default when left out. */
  readonly timeoutMs?: number
  /** Checks (and may reshape) the reply, wherever it came from; without it the reply is trusted as `Reply`. */
  readonly parseReply?: (value: unknown) => Reply
}

/** What a ref needs from the system it belongs to. */
export interface MessageRouter {
  tell(target: ActorRef<never>, message: unknown, options: SendOptions): void
  ask<Reply>(target: ActorRef<never>, message: unknown, options: AskOptions<Reply>): Promise<Reply>
}

/**
 * The address of an actor: its thread (node) and its name. Used the same way whether the actor
 * lives on this thread or another, and may itself travel inside messages.
 */
export class ActorRef<Msg> {
  declare readonly __messageType: (message: Msg) => void
  readonly #router: MessageRouter

  constructor(
    readonly node: number,
    readonly name: string,
    router: MessageRouter,
  ) {
    this.#router = router
  }

  tell(message: Msg, options: SendOptions = {}): void {
    this.#router.tell(this as ActorRef<never>, message, options)
  }

  ask<Reply>(message: Msg, options: AskOptions<Reply> = {}): Promise<Reply> {
    return this.#router.ask(this as ActorRef<never>, message, options)
  }

  equals(other: { readonly node: number; readonly name: string }): boolean {
    return other.node === this.node && other.name === this.name
  }

  toString(): string {
    return `${this.name}@${this.node}`
  }
}
