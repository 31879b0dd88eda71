import type { KafkaMessage } from '../actors/consumer/kafka-messages.js'
import type { Batch } from './consumer.js'

/** KafkaJS's batch object: one partition's messages from one fetch. */
export class ConsumedBatch implements Batch {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly highWatermark: string,
    readonly messages: readonly KafkaMessage[],
  ) {}

  isEmpty(): boolean {
    return this.messages.length === 0
  }

  firstOffset(): string | null {
    return this.messages[0]?.offset ?? null
  }

  lastOffset(): string {
    return this.messages.at(-1)?.offset ?? String(Number(this.highWatermark) - 1)
  }

  offsetLag(): string {
    return String(Number(this.highWatermark) - 1 - Number(this.lastOffset()))
  }

  offsetLagLow(): string {
    const first = this.firstOffset()
    return first === null ? '0' : String(Number(this.highWatermark) - 1 - Number(first))
  }
}
