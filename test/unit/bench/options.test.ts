import { describe, expect, it } from 'vitest'
import { type OptionTable, parseOptions, usageOf } from '../../../bench/options.js'

const TABLE = {
  brokers: { kind: 'integer', min: 1, max: 9, help: 'brokers', default: 3 },
  seconds: { kind: 'decimal', help: 'how long' },
  'warm-up': { kind: 'decimal', zero: true, help: 'seconds not timed', default: 1 },
  idempotent: { kind: 'boolean', help: 'true or false', otherwise: 'with acks all' },
  acks: { kind: 'acks', help: '0, 1 or all', default: 1 },
  json: { kind: 'flag', help: 'one JSON line' },
  out: { kind: 'directory', help: 'where the report goes' },
} as const satisfies OptionTable

describe('bench options', () => {
  it('gives each option its default, or undefined, when it is not given', () => {
    expect(parseOptions([], TABLE)).toEqual({
      brokers: 3,
      seconds: undefined,
      'warm-up': 1,
      idempotent: undefined,
      acks: 1,
      json: false,
      out: undefined,
    })
  })

  it('reads each kind of value', () => {
    const argv = ['--brokers', '9', '--seconds', '0.5', '--warm-up', '0', '--idempotent', 'true']
    expect(
      parseOptions([...argv, '--acks', 'all', '--json', '--out', 'reports'], TABLE),
    ).toMatchObject({
      brokers: 9,
      seconds: 0.5,
      'warm-up': 0,
      idempotent: true,
      acks: -1,
      json: true,
      out: 'reports',
    })
    expect(parseOptions(['--acks=-1', '--idempotent', 'false'], TABLE)).toMatchObject({
      acks: -1,
      idempotent: false,
    })
  })

  it.each([
    [['--brokers', '0'], '--brokers must be an integer from 1 to 9'],
    [['--brokers', '10'], '--brokers must be an integer from 1 to 9'],
    [['--brokers', '2.5'], '--brokers must be an integer from 1 to 9'],
    [['--seconds', '0'], '--seconds must be a positive number'],
    [['--seconds', 'soon'], '--seconds must be a positive number'],
    [['--warm-up', '1e3'], '--warm-up must be a non-negative number'],
    [['--idempotent', 'yes'], '--idempotent must be true or false'],
    [['--acks', '2'], '--acks must be 0, 1 or all (-1)'],
    [['--partitions', '3'], "Unknown option '--partitions'"],
  ])('refuses %j, naming the flag', (argv, message) => {
    expect(() => parseOptions(argv, TABLE)).toThrow(message)
  })

  it('reads a choice and a list of integers, each checked', () => {
    const table = {
      path: { kind: 'choice', values: ['api', 'engine'], help: 'which path', default: 'api' },
      partitions: { kind: 'integers', min: 1, max: 1000, help: 'partitions', default: [4] },
    } as const satisfies OptionTable
    expect(parseOptions([], table)).toEqual({ path: 'api', partitions: [4] })
    expect(parseOptions(['--path', 'engine', '--partitions', '1,4,64,1000'], table)).toEqual({
      path: 'engine',
      partitions: [1, 4, 64, 1000],
    })
    expect(() => parseOptions(['--path', 'fast'], table)).toThrow(
      '--path must be one of api, engine',
    )
    for (const list of ['1,,4', '1,0', '4,1001', '1,x', '4,4']) {
      expect(() => parseOptions(['--partitions', list], table), list).toThrow('--partitions must')
    }
    expect(usageOf(table)).toEqual([
      '--path api|engine  which path (default api)',
      '--partitions N[,N…]',
      '                   partitions (default 4)',
    ])
  })

  it('writes one --help line per option with its default, wrapping long ones', () => {
    const long = 'word '.repeat(30).trim()
    const lines = usageOf({ ...TABLE, linger: { kind: 'integer', min: 0, help: long } })
    expect(lines.slice(0, 7)).toEqual([
      '--brokers N        brokers (default 3)',
      '--seconds N        how long',
      '--warm-up N        seconds not timed (default 1)',
      '--idempotent B     true or false (default: with acks all)',
      '--acks N           0, 1 or all (default 1)',
      '--json             one JSON line',
      '--out DIR          where the report goes',
    ])
    const wrapped = lines.slice(7)
    expect(wrapped.length).toBeGreaterThan(1)
    expect(wrapped.every((line) => line.length <= 100)).toBe(true)
    expect(wrapped.map((line) => line.trim().replace('--linger N', '').trim()).join(' ')).toBe(long)
  })
})
