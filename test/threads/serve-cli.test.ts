import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { ApiKeys } from '../../src/runtime/kafka-protocol/index.js'
import { WireTestClient } from '../support/wire-client.js'
import { within } from '../support/within.js'

describe('npx samsa serve', () => {
  it('prints its bootstrap once listening, serves, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['bin/samsa.js', 'serve', '--brokers', '2', '--port', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      const lines = createInterface({ input: child.stdout })
      const first = await within(
        30_000,
        'the bootstrap line',
        new Promise<string>((resolve) => lines.once('line', resolve)),
      )
      const bootstrap = /^samsa serve: bootstrap (127\.0\.0\.1:\d+)$/.exec(first)?.[1]
      expect(bootstrap).toBeDefined()
      const client = await WireTestClient.connect(bootstrap as string)
      const answer = await client.request(ApiKeys.Metadata, 4, {
        topics: null,
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      })
      expect(answer.brokers.map((broker) => broker.nodeId)).toEqual([0, 1])
      child.kill('SIGTERM')
      await within(10_000, 'the server closes its connections', client.closed)
      expect(await within(30_000, 'samsa serve to exit', exited)).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
