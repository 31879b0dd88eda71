import type { ActorSystem } from '../runtime/actor/actor-system.js'
import type { RequestRecord } from '../runtime/requests/request-log.js'
import type { RequestApi } from '../runtime/requests/request-rules.js'
import { KafkaJSNonRetriableError } from './errors.js'

export type { RequestRecord } from '../runtime/requests/request-log.js'

export interface RequestFilter {
  readonly api?: RequestApi
  readonly broker?: number | null
  readonly client?: string
}

/**
 * `cluster.requests`: the request log of `Cluster.start({ recordRequests: true })`, every
 * request each thread served (and every consumer's partition read, as Fetch), so a test can
 * say "three Produce requests, two answered NOT_LEADER_OR_FOLLOWER".
 */
export class ClusterRequests {
  constructor(
    private readonly system: ActorSystem,
    private readonly recording: boolean,
  ) {}

  /** Every request so far that passes `filter`, in time order (unanswered ones included). */
  async list(filter: RequestFilter = {}): Promise<RequestRecord[]> {
    this.#assertRecording()
    const records = await this.system.collectRequests(false)
    return records
      .filter(
        (record) =>
          (filter.api === undefined || record.api === filter.api) &&
          (filter.broker === undefined || record.broker === filter.broker) &&
          (filter.client === undefined || record.client === filter.client),
      )
      .sort((a, b) => a.time - b.time)
  }

  /** Forgets every request recorded so far, on every thread. */
  async clear(): Promise<void> {
    this.#assertRecording()
    await this.system.collectRequests(true)
  }

  #assertRecording(): void {
    if (!this.recording) {
      throw new KafkaJSNonRetriableError(
        'the request log is off: start the cluster with { recordRequests: true }',
      )
    }
  }
}
