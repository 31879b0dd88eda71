import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** Debian's kcat (librdkafka 2.0.2), installed by `scripts/install-test-clients.sh`. */
export const KCAT = 'kcat'
/** Debian's own Python: `python3-confluent-kafka` is installed for it, not for another python3. */
export const DEBIAN_PYTHON = '/usr/bin/python3'
/** Node 22 from the npm registry (devDependency `node22`), for clients that need it. */
export const NODE_22 = fileURLToPath(new URL('../../node_modules/node22/bin/node', import.meta.url))

export function clientScript(name: string): string {
  return fileURLToPath(new URL(`../clients/${name}`, import.meta.url))
}

export interface Ran {
  readonly stdout: string
  readonly stderr: string
}

/** Runs a client to its end, killed if it outlives `timeoutMs`; rejects with its stderr. */
export function runClient(
  command: string,
  args: readonly string[],
  options: { readonly timeoutMs: number; readonly input?: string },
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      { timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error === null) resolve({ stdout, stderr })
        else reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr}`))
      },
    )
    child.stdin?.end(options.input ?? '')
  })
}

/**
 * A client left running (a group member), its output gathered as it comes. `stop` ends it
 * with SIGTERM, as a user's Ctrl-C would, and SIGKILL if it does not go.
 */
export class RunningClient {
  readonly #child: ChildProcess
  readonly #exited: Promise<void>
  stdout = ''
  stderr = ''

  constructor(command: string, args: readonly string[]) {
    this.#child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text
    })
    this.#child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text
    })
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()))
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    this.#child.kill('SIGTERM')
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs)
    await this.#exited
    clearTimeout(timer)
  }
}
