import { once } from 'node:events'
import { MessageChannel, type Worker } from 'node:worker_threads'
import { Bench } from 'tinybench'
import { type ActorRef, ActorSystem } from '../../src/runtime/index.js'
import { spawnThread } from '../../src/runtime/thread/spawn-thread.js'
import { measureThroughputBaselines } from '../baselines/throughput-baselines.js'
import { type OptionTable, parseOptions, usageOf } from '../options.js'
import { barsOf, emitReport, REPORT_OPTIONS, ratiosOf } from '../report/bench-report.js'
import { ProgressLine } from '../report/progress-line.js'
import type { BenchScenario } from '../scenario.js'
import type { SinkMessage, SourceMessage } from './messaging-actors.js'

/*
 * Actor messaging between two worker-hosted actors, beside the same traffic sent by hand with
 * postMessage between two plain workers, in the same run. Topologies (Disruptor style):
 *   one-to-one throughput: source → sink, `count` small messages, then one ask to close
 *   one-to-one throughput, batched: the same records, 100 to a message
 *   ping-pong latency: source asks sink, one at a time
 */

interface Figures {
  readonly samsa: number
  readonly baseline: number
  readonly ratio: number
}

const BATCH = 100
/** About what one small message `{ t: 'm', n }` takes encoded. */
const RING_RECORD_BYTES = 16
const PINGS = 200

class RawPair {
  private constructor(
    private readonly source: Worker,
    private readonly sink: Worker,
  ) {}

  static async start(): Promise<RawPair> {
    const entry = new URL(
      `./raw-post-message-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
      import.meta.url,
    )
    const pair = new RawPair(spawnThread(entry), spawnThread(entry))
    const { port1, port2 } = new MessageChannel()
    pair.source.postMessage({ cmd: 'connect', port: port1 }, [port1])
    pair.sink.postMessage({ cmd: 'connect', port: port2 }, [port2])
    await Promise.all([once(pair.source, 'message'), once(pair.sink, 'message')])
    return pair
  }

  async run(command: Record<string, unknown>): Promise<void> {
    const done = once(this.source, 'message')
    this.source.postMessage(command)
    await done
  }

  async stop(): Promise<void> {
    await Promise.all([this.source.terminate(), this.sink.terminate()])
  }
}

async function measure(count: number, timeMs: number) {
  const system = ActorSystem.start({ defaultAskTimeoutMs: 60_000 })
  const raw = await RawPair.start()
  try {
    const module = new URL(
      `./messaging-actors${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
      import.meta.url,
    )
    const [source, sink] = await Promise.all([
      system.spawnOnThread<SourceMessage>({
        module,
        exportName: 'source',
        name: 'source',
        args: undefined,
      }),
      system.spawnOnThread<SinkMessage>({
        module,
        exportName: 'sink',
        name: 'sink',
        args: undefined,
      }),
    ])
    const blast = async (to: ActorRef<SinkMessage>, batchSize: number) => {
      const ok = await source.ask<boolean>({ t: 'blast', to, count, batchSize })
      if (ok !== true) throw new Error('the sink counted fewer messages than were sent')
    }
    const bench = new Bench({ time: timeMs, warmupTime: 200 })
    bench
      .add('samsa one-way', () => blast(sink, 1))
      .add('postMessage one-way', () => raw.run({ cmd: 'blast', count, batchSize: 1 }))
      .add('samsa one-way batched', () => blast(sink, BATCH))
      .add('postMessage one-way batched', () => raw.run({ cmd: 'blast', count, batchSize: BATCH }))
      .add('samsa ask round trip', () => source.ask({ t: 'pings', to: sink, times: PINGS }))
      .add('postMessage round trip', () => raw.run({ cmd: 'pings', times: PINGS }))
    await bench.run()
    const opsPerSec = (name: string): number => {
      const task = bench.getTask(name)
      const result = task?.result
      if (result === undefined || !('throughput' in result)) throw new Error(`${name} did not run`)
      return result.throughput.mean
    }
    const pair = (samsaTask: string, baselineTask: string, perOp: number): Figures => {
      const samsa = opsPerSec(samsaTask) * perOp
      const baseline = opsPerSec(baselineTask) * perOp
      return { samsa, baseline, ratio: samsa / baseline }
    }
    const roundTrips = pair('samsa ask round trip', 'postMessage round trip', PINGS)
    return {
      oneWayMessagesPerSec: pair('samsa one-way', 'postMessage one-way', count),
      oneWayBatchedRecordsPerSec: pair(
        'samsa one-way batched',
        'postMessage one-way batched',
        count,
      ),
      roundTripMicros: {
        samsa: 1e6 / roundTrips.samsa,
        baseline: 1e6 / roundTrips.baseline,
        ratio: roundTrips.baseline / roundTrips.samsa,
      },
    }
  } finally {
    await Promise.all([system.stop(), raw.stop()])
  }
}

const format = (value: number) => Math.round(value).toLocaleString('en-US')

const OPTIONS = {
  count: { kind: 'integer', min: BATCH, help: 'messages per one-way burst', default: 20_000 },
  'time-ms': { kind: 'integer', min: 1, help: 'measuring time per task', default: 1000 },
  ...REPORT_OPTIONS,
} as const satisfies OptionTable

export const actorMessaging: BenchScenario = {
  name: 'actors',
  summary: 'actor messaging between two worker threads, beside raw postMessage and a SAB ring',
  usage: usageOf(OPTIONS),
  async run(argv) {
    const options = parseOptions(argv, OPTIONS)
    const { count, 'time-ms': timeMs } = options
    if (count % BATCH !== 0) throw new Error(`--count must be a multiple of ${BATCH}`)
    const progress = new ProgressLine(options)
    progress.phase('actors and postMessage, by tinybench')
    const figures = await measure(count, timeMs)
    progress.phase('baseline: SAB ring')
    const ring = (
      await measureThroughputBaselines({ recordSize: RING_RECORD_BYTES, durationMs: timeMs })
    )['sab-ring']
    progress.end()
    const samsa = {
      oneWayMessagesPerSec: Math.round(figures.oneWayMessagesPerSec.samsa),
      oneWayBatchedRecordsPerSec: Math.round(figures.oneWayBatchedRecordsPerSec.samsa),
      roundTripMicros: figures.roundTripMicros.samsa,
    }
    const baselines = {
      'post-message': {
        oneWayMessagesPerSec: Math.round(figures.oneWayMessagesPerSec.baseline),
        oneWayBatchedRecordsPerSec: Math.round(figures.oneWayBatchedRecordsPerSec.baseline),
        roundTripMicros: figures.roundTripMicros.baseline,
      },
      // A message here is a few bytes: the ring moves records of that size, one at a time.
      'sab-ring': {
        oneWayMessagesPerSec: ring.recordsPerSec,
        oneWayBatchedRecordsPerSec: ring.recordsPerSec,
      },
    }
    const output = {
      scenario: 'actors',
      count,
      timeMs,
      ...samsa,
      verified: true,
      baselines,
      ratios: {
        ...ratiosOf('oneWayMessagesPerSec', samsa.oneWayMessagesPerSec, baselines),
        ...ratiosOf('oneWayBatchedRecordsPerSec', samsa.oneWayBatchedRecordsPerSec, baselines),
        ...ratiosOf('roundTripMicros', samsa.roundTripMicros, baselines),
      },
      charts: {
        bars: [
          barsOf('oneWayMessagesPerSec', 'messages/s', samsa.oneWayMessagesPerSec, baselines),
          barsOf(
            'oneWayBatchedRecordsPerSec',
            'records/s',
            samsa.oneWayBatchedRecordsPerSec,
            baselines,
          ),
          barsOf('roundTripMicros', 'µs', samsa.roundTripMicros, baselines),
        ],
      },
    }
    const post = baselines['post-message']
    await emitReport(output, options, () => [
      'actor messaging between two worker threads',
      `one-way, one message each : samsa ${format(samsa.oneWayMessagesPerSec)}/s  postMessage ${format(post.oneWayMessagesPerSec)}/s  sab-ring ${format(ring.recordsPerSec)}/s`,
      `one-way, ${BATCH} per message   : samsa ${format(samsa.oneWayBatchedRecordsPerSec)} rec/s  postMessage ${format(post.oneWayBatchedRecordsPerSec)} rec/s`,
      `ask round trip            : samsa ${samsa.roundTripMicros.toFixed(1)} µs  postMessage ${post.roundTripMicros.toFixed(1)} µs`,
      `ratios ${JSON.stringify(output.ratios)}`,
    ])
  },
}
