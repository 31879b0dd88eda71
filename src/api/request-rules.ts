import type { ActorSystem } from '../runtime/actor/actor-system.js'
import type { KafkaErrorType } from '../runtime/errors/kafka-error-codes.js'
import {
  type InstalledRule,
  parseRuleAction,
  parseRuleMatch,
  type RuleMatch,
  RuleWord,
  releaseRule,
} from '../runtime/requests/request-rules.js'
import { toKafkaJSError } from './errors.js'

export type { RequestApi } from '../runtime/requests/request-rules.js'

/** What a rule does: exactly one of these. */
export type RequestRuleAction =
  /** Answer with this Kafka error instead of handling the request. */
  | { readonly error: KafkaErrorType }
  /** Handle the request this much later. */
  | { readonly delayMs: number }
  /** Never handle or answer it: the asker times out. */
  | { readonly drop: true }
  /** Park it until the rule's `release()` (or `remove()`), then handle it. */
  | { readonly hold: true }

/**
 * A request rule: which requests (Kafka's request name, and optionally the broker serving it,
 * a topic, a partition, the asker's link name, and how many matches) and what to do to them.
 */
export type RequestRule = RuleMatch & RequestRuleAction

/** A rule in force: take it away, or let go what it holds. */
export interface RequestRuleHandle {
  /** Requests the rule matched so far (counted only for rules with `times`). */
  readonly matched: number
  /** Lets go of what the rule holds now; later matches pass (for `hold` rules). */
  release(): void
  /** Takes the rule away on every thread (and lets go of what it holds). */
  remove(): Promise<void>
}

/**
 * `cluster.rules`: request rules, as Go's kfake and librdkafka's mock cluster offer them, in
 * force on every thread (brokers started or restarted later get them too) and applied where
 * requests are handed to the actors that serve them, and where consumers read partitions.
 */
export class ClusterRules {
  #rules: readonly InstalledRule[] = []
  #nextId = 1

  constructor(
    private readonly system: ActorSystem,
    /** Whether the request log is on: it travels with the rules. */
    private readonly recordRequests: boolean,
  ) {}

  /** Puts a rule in force; resolves once every thread has it. */
  async add(rule: RequestRule): Promise<RequestRuleHandle> {
    let installed: InstalledRule
    try {
      installed = {
        ...parseRuleMatch(rule),
        id: this.#nextId++,
        action: parseRuleAction(rule),
        shared: new SharedArrayBuffer(RuleWord.bytes),
      }
    } catch (error) {
      throw toKafkaJSError(error)
    }
    await this.#install([...this.#rules, installed])
    const words = new Int32Array(installed.shared)
    return {
      get matched() {
        return Atomics.load(words, RuleWord.matched)
      },
      release: () => releaseRule(installed.shared),
      remove: () => this.#remove(installed),
    }
  }

  /** Takes every rule away. */
  async clear(): Promise<void> {
    const removed = this.#rules
    for (const rule of removed) releaseRule(rule.shared)
    await this.#install([])
  }

  /** Lets go of everything held, without telling the threads (the cluster is stopping). */
  releaseAll(): void {
    for (const rule of this.#rules) releaseRule(rule.shared)
  }

  async #remove(rule: InstalledRule): Promise<void> {
    releaseRule(rule.shared)
    if (!this.#rules.includes(rule)) return
    await this.#install(this.#rules.filter((other) => other !== rule))
  }

  async #install(rules: readonly InstalledRule[]): Promise<void> {
    this.#rules = rules
    try {
      await this.system.setRequestSetup({ rules, record: this.recordRequests })
    } catch (error) {
      throw toKafkaJSError(error)
    }
  }
}
