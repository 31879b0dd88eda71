import type { ChildTerminated } from './actor-definition.js'

export type MailboxEntry =
  | {
      readonly kind: 'message'
      readonly body: unknown
      /** The sender's name, and the thread it sent from: where an ask's reply goes. */
      readonly from: string
      readonly origin: number
      /** Non-zero when the sender waits for a reply. */
      readonly askId: number
    }
  | { readonly kind: 'signal'; readonly signal: ChildTerminated }

/** A FIFO that does not shift the array on every take (an array plus a moving head). */
export class Mailbox {
  #entries: MailboxEntry[] = []
  #head = 0

  get empty(): boolean {
    return this.#head === this.#entries.length
  }

  push(entry: MailboxEntry): void {
    this.#entries.push(entry)
  }

  shift(): MailboxEntry | undefined {
    if (this.#head === this.#entries.length) return undefined
    const entry = this.#entries[this.#head++]
    if (this.#head === this.#entries.length) {
      this.#entries = []
      this.#head = 0
    }
    return entry
  }
}
