import type { Clock } from '../../runtime/clock/clock.js'
import type { KafkaProtocolError } from '../../runtime/errors/samsa-error.js'
import type { RequestDispatch } from '../../runtime/requests/request-dispatch.js'
import type { OpenRecord } from '../../runtime/requests/request-log.js'
import { injectedError, waitOut } from '../../runtime/requests/request-rules.js'
import { topicsOf } from '../requests/request-topics.js'
import type { PartitionFetcher } from './partition-fetcher.js'

/** Whose reads a consumer makes, and this thread's request rules and log. */
export interface FetchRequests {
  readonly dispatch: RequestDispatch
  /** The consumer's link name. */
  readonly client: string
}

/** What the rules made of one fetch round. */
export interface FetchRuling {
  /** Partitions not to read this round (dropped, or answered with an error). */
  readonly skipped: ReadonlySet<PartitionFetcher>
  /** Delayed or held partitions: the round reads once these resolve. */
  readonly waits: readonly Promise<void>[]
  /** Errors answered for partitions, first first. */
  readonly errors: readonly KafkaProtocolError[]
  /** Ends the round's Fetch records (an error given overrides none). */
  finish(): void
}

/**
 * In-process consumers read the leaders' logs themselves instead of sending Fetch requests;
 * this is where their reads meet the request rules and the request log as a Fetch would:
 * one request per leader broker and round, each partition read judged on its own.
 */
export function ruleFetchRound(
  fetchers: readonly { readonly fetcher: PartitionFetcher; readonly leader: number }[],
  requests: FetchRequests,
  clock: Clock,
): FetchRuling {
  const { dispatch, client } = requests
  const byBroker = new Map<number, PartitionFetcher[]>()
  for (const { fetcher, leader } of fetchers) {
    const reads = byBroker.get(leader)
    if (reads === undefined) byBroker.set(leader, [fetcher])
    else reads.push(fetcher)
  }
  const skipped = new Set<PartitionFetcher>()
  const waits: Promise<void>[] = []
  const errors: KafkaProtocolError[] = []
  const records: OpenRecord[] = []
  const unanswered = new Set<OpenRecord>()
  const since = clock.now()
  for (const [broker, reads] of byBroker) {
    const record = dispatch.recorder?.start(
      { api: 'Fetch', broker, topics: topicsOf(reads) },
      client,
    )
    if (record !== undefined) records.push(record)
    if (!dispatch.rules.active) continue
    for (const fetcher of reads) {
      const request = {
        api: 'Fetch' as const,
        broker,
        topics: [{ topic: fetcher.topic, partitions: [fetcher.partition] }],
      }
      const verdict = dispatch.rules.decide(request, client)
      if (verdict === undefined) continue
      const { action } = verdict
      if (action.kind === 'error') {
        skipped.add(fetcher)
        errors.push(injectedError(action.error))
        if (record !== undefined) record.error ??= action.error
      } else if (action.kind === 'drop') {
        skipped.add(fetcher)
        if (record !== undefined) unanswered.add(record)
      } else {
        waits.push(waitOut(verdict, clock, since))
      }
    }
  }
  return {
    skipped,
    waits,
    errors,
    finish: () => {
      for (const record of records) {
        if (!unanswered.has(record)) dispatch.finish(record, null)
      }
    },
  }
}
