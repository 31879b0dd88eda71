import { parseArgs } from 'node:util'
import { scenarios } from '../bench/scenarios.js'
import { CHAOS_USAGE, chaos } from './chaos.js'
import { runDemo } from './demo.js'
import { SERVE_USAGE, serve } from './serve.js'

const HELP = `samsa — a Kafka cluster inside one Node.js process

Usage:
  samsa demo                     a short live demo of what is built so far
  samsa bench <scenario> [opts]  run a benchmark (samsa bench --help lists them)
  samsa serve [opts]             a cluster that Kafka clients reach over TCP (samsa serve --help)
  samsa chaos [opts]             seeded fault schedules checked against Kafka's guarantees (samsa chaos --help)
  samsa --help                   this text
`

function scenarioHelp(scenario: (typeof scenarios)[number]): string[] {
  return [
    `  ${scenario.name.padEnd(12)} ${scenario.summary}`,
    ...scenario.usage.map((line) => `    ${line}`),
  ]
}

function benchHelp(): string {
  const lines = ['Usage: samsa bench <scenario> [options]', '', 'Scenarios:']
  for (const scenario of scenarios) lines.push(...scenarioHelp(scenario))
  if (scenarios.length === 0) lines.push('  (none yet)')
  return `${lines.join('\n')}\n`
}

async function bench(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(benchHelp())
    return name === undefined ? 1 : 0
  }
  const scenario = scenarios.find((candidate) => candidate.name === name)
  if (scenario === undefined) {
    process.stderr.write(`samsa bench: unknown scenario '${name}'\n\n${benchHelp()}`)
    return 1
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(
      `Usage: samsa bench ${scenario.name} [options]\n\n${scenarioHelp(scenario).join('\n')}\n`,
    )
    return 0
  }
  await scenario.run(rest)
  return 0
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'demo':
      parseArgs({ args: [...rest], options: {}, strict: true })
      await runDemo()
      return 0
    case 'bench':
      return bench(rest)
    case 'serve':
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(SERVE_USAGE)
        return 0
      }
      await serve(rest)
      return 0
    case 'chaos':
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(CHAOS_USAGE)
        return 0
      }
      return chaos(rest)
    case undefined:
    case '--help':
    case '-h':
      process.stdout.write(HELP)
      return command === undefined ? 1 : 0
    default:
      process.stderr.write(`samsa: unknown command '${command}'\n\n${HELP}`)
      return 1
  }
}

try {
  // A scenario may have set a failing exit code (an unverified run): never clear it.
  const code = await main(process.argv.slice(2))
  if (code !== 0) process.exitCode = code
} catch (error) {
  process.stderr.write(`samsa: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exitCode = 1
}
