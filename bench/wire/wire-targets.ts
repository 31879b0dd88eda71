import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A Kafka cluster a wire client can reach: its bootstrap, and how to end it. */
export interface WireTarget {
  readonly bootstrap: string
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 60_000

/** The samsa CLI beside these sources (bench/wire) or beside the built ones (dist/bench/wire). */
function samsaCli(): string {
  for (const relative of ['../../bin/samsa.js', '../../../bin/samsa.js']) {
    const path = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(path)) return path
  }
  throw new Error('bin/samsa.js not found beside the bench sources')
}

/** Resolves with the first match of `pattern` in what the child writes on `stream`. */
function waitForLine(
  child: ChildProcess,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
  what: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${what}: no bootstrap within ${START_TIMEOUT_MS} ms\n${seen}`))
    }, START_TIMEOUT_MS)
    child[stream]?.setEncoding('utf8').on('data', (text: string) => {
      seen += text
      const match = pattern.exec(seen)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${what} exited (${code}) before it listened\n${seen}`))
    })
  })
}

function stopper(child: ChildProcess, signal: NodeJS.Signals): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

/** `samsa serve` in its own process, as a user runs it: its listeners on its main thread. */
export async function startSamsaServe(brokers: number): Promise<WireTarget> {
  const child = spawn(
    process.execPath,
    [samsaCli(), 'serve', '--brokers', String(brokers), '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const bootstrap = await waitForLine(
    child,
    'stdout',
    /samsa serve: bootstrap (\S+)/,
    'samsa serve',
  )
  return { bootstrap, stop: stopper(child, 'SIGTERM') }
}

/**
 * librdkafka's mock cluster, hosted by a kcat producer that waits on an open stdin and sends
 * nothing. librdkafka logs where the mock brokers listen as it starts them.
 */
export async function startLibrdkafkaMock(brokers: number): Promise<WireTarget> {
  const child = spawn(
    'kcat',
    ['-b', 'unused', '-X', `test.mock.num.brokers=${brokers}`, '-P', '-t', 'mock-host'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  )
  const bootstrap = await waitForLine(
    child,
    'stderr',
    /Mock cluster enabled: .* replaced with (\S+)/,
    'kcat mock cluster',
  )
  const stop = stopper(child, 'SIGTERM')
  return {
    bootstrap,
    async stop() {
      child.stdin?.end()
      await stop()
    },
  }
}
