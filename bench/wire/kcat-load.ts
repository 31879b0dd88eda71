import { spawn } from 'node:child_process'

/*
 * kcat (librdkafka) as a load generator: one process produces every record from stdin, one
 * consumes them all and exits. Each is timed from spawn to exit, so a run includes kcat's
 * start and connection (a few milliseconds).
 */

const KCAT_TIMEOUT_MS = 300_000

export interface KcatRun {
  readonly seconds: number
  readonly recordsPerSec: number
  /** Records kcat reported or printed: every one for a verified run. */
  readonly records: number
}

function runKcat(
  args: readonly string[],
  input: Buffer | undefined,
): Promise<{ seconds: number; newlines: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('kcat', [...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    let newlines = 0
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) newlines++
    })
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), KCAT_TIMEOUT_MS)
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      const seconds = (performance.now() - started) / 1000
      if (code === 0) resolve({ seconds, newlines })
      else reject(new Error(`kcat ${args.join(' ')}: exit ${code ?? signal}\n${stderr}`))
    })
    child.stdin.end(input)
  })
}

/** `records` lines of `recordBytes` bytes each (newline excluded), as kcat -P reads them. */
export function kcatInput(records: number, recordBytes: number): Buffer {
  const line = Buffer.alloc(recordBytes + 1, 'x')
  line[recordBytes] = 10
  const input = Buffer.alloc(line.length * records)
  for (let index = 0; index < records; index++) line.copy(input, index * line.length)
  return input
}

export async function kcatProduce(
  bootstrap: string,
  topic: string,
  input: Buffer,
  records: number,
): Promise<KcatRun> {
  const { seconds } = await runKcat(['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=all'], input)
  return { seconds, recordsPerSec: Math.round(records / seconds), records }
}

export async function kcatConsume(
  bootstrap: string,
  topic: string,
  records: number,
): Promise<KcatRun> {
  const { seconds, newlines } = await runKcat(
    ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-c', String(records)],
    undefined,
  )
  return { seconds, recordsPerSec: Math.round(newlines / seconds), records: newlines }
}
