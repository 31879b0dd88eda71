import { parseArgs } from 'node:util'
import { Cluster } from '../src/api/cluster.js'
import { InvalidArgumentError } from '../src/runtime/errors/samsa-error.js'

export const SERVE_USAGE = `Usage: samsa serve [--brokers 3] [--host 127.0.0.1] [--port 9092] [--auto-create-topics]

Starts a cluster and serves the Kafka wire protocol: broker N listens on port + N
(--port 0: free ports). Prints "samsa serve: bootstrap HOST:PORT" once every listener
is up; stops on SIGINT or SIGTERM.
`

function whole(value: string, name: string, least: number): number {
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < least) {
    throw new InvalidArgumentError(
      `--${name} takes a whole number of at least ${least}, got '${value}'`,
    )
  }
  return number
}

/** `samsa serve`: runs until a signal, then stops the cluster cleanly. */
export async function serve(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      brokers: { type: 'string', default: '3' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '9092' },
      'auto-create-topics': { type: 'boolean', default: false },
    },
    strict: true,
  })
  const cluster = await Cluster.start({ brokers: whole(values.brokers, 'brokers', 1) })
  const stopped = new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  try {
    const bootstrap = await cluster.listen({
      host: values.host,
      port: whole(values.port, 'port', 0),
      autoCreateTopics: values['auto-create-topics'],
    })
    process.stdout.write(`samsa serve: bootstrap ${bootstrap}\n`)
    await stopped
  } finally {
    await cluster.stop()
  }
}
