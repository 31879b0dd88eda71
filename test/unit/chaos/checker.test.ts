import { describe, expect, it } from 'vitest'
import { type AnomalyKind, checkHistory } from '../../../src/api/chaos/checker.js'
import type {
  AssignmentEvent,
  CommitEvent,
  DeliveryEvent,
  FinalPartition,
  History,
  HistoryEvent,
  SendEvent,
} from '../../../src/api/chaos/history.js'

const topic = 'orders'

function send(
  value: string,
  offset: number | undefined,
  at: number,
  extra: Partial<SendEvent> = {},
) {
  return {
    type: 'send',
    topic,
    partition: 0,
    producer: 'p1',
    value,
    invokedAt: at,
    completedAt: at + 1,
    outcome: 'acknowledged',
    offset,
    ...extra,
  } satisfies SendEvent
}

function delivery(value: string, offset: number, time: number, extra: Partial<DeliveryEvent> = {}) {
  return {
    type: 'delivery',
    topic,
    partition: 0,
    member: 'm1',
    generation: 1,
    offset,
    value,
    time,
    ...extra,
  } satisfies DeliveryEvent
}

function commit(offset: number, time: number): CommitEvent {
  return {
    type: 'commit',
    topic,
    partition: 0,
    group: 'g',
    member: 'm1',
    generation: 1,
    offset,
    time,
  }
}

function assignment(member: string, generation: number, time: number): AssignmentEvent {
  return { type: 'assignment', member, generation, time, partitions: [{ topic, partition: 0 }] }
}

function log(...values: string[]): FinalPartition {
  return {
    topic,
    partition: 0,
    logStartOffset: 0,
    records: values.map((value, offset) => ({ offset, value })),
  }
}

/** Three records sent, acknowledged, read once each and committed: nothing wrong. */
const clean: HistoryEvent[] = [
  assignment('m1', 1, 0),
  send('a', 0, 1),
  send('b', 1, 2),
  send('c', 2, 3),
  delivery('a', 0, 10),
  delivery('b', 1, 11),
  delivery('c', 2, 12),
  commit(3, 13),
]

function kindsOf(history: History): Partial<Record<AnomalyKind, number>> {
  const { counts } = checkHistory(history)
  return Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0))
}

describe('checkHistory', () => {
  it('finds nothing wrong in a clean history, and counts what was acknowledged', () => {
    const report = checkHistory({ events: clean, final: [log('a', 'b', 'c')] })
    expect(report).toMatchObject({ verified: true, acknowledged: 3, anomalies: [] })
  })

  it('reports an acknowledged write missing from the log as lost, with its offset', () => {
    const report = checkHistory({ events: clean, final: [log('a', 'c')] })
    expect(report.verified).toBe(false)
    expect(report.anomalies.find((anomaly) => anomaly.kind === 'lost')).toMatchObject({
      values: ['b'],
      offsets: [1],
      time: 3,
    })
  })

  it('does not call lost what retention removed before the end', () => {
    const final: FinalPartition = {
      ...log(),
      logStartOffset: 2,
      records: [{ offset: 2, value: 'c' }],
    }
    expect(kindsOf({ events: clean, final: [final] })).toEqual({})
  })

  it('counts what the settings allow without failing the run', () => {
    const report = checkHistory(
      { events: clean, final: [log('a', 'c')] },
      { allowed: ['lost', 'inconsistentOffset', 'unseen'] },
    )
    expect(report.counts.lost).toBe(1)
    expect(report.verified).toBe(true)
  })

  it('reports a record at two offsets as a duplicate', () => {
    const events = [...clean, delivery('b', 3, 14)]
    expect(kindsOf({ events, final: [log('a', 'b', 'c', 'b')] })).toEqual({ duplicate: 1 })
  })

  it('reports one offset seen with two values', () => {
    const events = clean.map((event) =>
      event.type === 'delivery' && event.value === 'b' ? { ...event, value: 'x' } : event,
    )
    const report = checkHistory({ events, final: [log('a', 'b', 'c')] })
    expect(report.anomalies).toContainEqual(
      expect.objectContaining({ kind: 'inconsistentOffset', offsets: [1], values: ['b', 'x'] }),
    )
  })

  it('reports a producer whose later send was acknowledged at an earlier offset', () => {
    const events = [send('a', 1, 1), send('b', 0, 2), delivery('b', 0, 10), delivery('a', 1, 11)]
    expect(kindsOf({ events, final: [log('b', 'a')] })).toEqual({ nonmonotonicSend: 1 })
  })

  it('reports a member reading a partition backwards within a generation', () => {
    const events = [...clean, delivery('a', 0, 20)]
    expect(kindsOf({ events, final: [log('a', 'b', 'c')] })).toEqual({ nonmonotonicPoll: 1 })
  })

  it('reports offsets a member skipped within a generation, but not across a rebalance', () => {
    const skipping = clean.filter((event) => !(event.type === 'delivery' && event.value === 'b'))
    const report = checkHistory({
      events: [...skipping, delivery('b', 1, 30, { member: 'm2' })],
      final: [log('a', 'b', 'c')],
    })
    expect(report.anomalies).toEqual([
      expect.objectContaining({ kind: 'pollSkip', offsets: [1], values: ['b'] }),
    ])
    const afterRebalance = skipping.map((event) =>
      event.type === 'delivery' && event.value === 'c' ? { ...event, generation: 2 } : event,
    )
    expect(
      kindsOf({
        events: [...afterRebalance, delivery('b', 1, 30, { member: 'm2' })],
        final: [log('a', 'b', 'c')],
      }),
    ).toEqual({})
  })

  it('reports an acknowledged write in the log that no member read', () => {
    const events = clean.filter((event) => !(event.type === 'delivery' && event.value === 'c'))
    expect(kindsOf({ events, final: [log('a', 'b', 'c')] })).toEqual({ unseen: 1 })
  })

  it('reports two members owning one partition in one generation', () => {
    const events = [...clean, assignment('m2', 1, 5), assignment('m2', 2, 6)]
    expect(kindsOf({ events, final: [log('a', 'b', 'c')] })).toEqual({ doubleOwner: 1 })
  })

  it('reports a committed offset going backwards', () => {
    const events = [...clean, commit(1, 20)]
    const report = checkHistory({ events, final: [log('a', 'b', 'c')] })
    expect(report.anomalies).toEqual([
      expect.objectContaining({ kind: 'commitRegression', offsets: [3, 1], time: 20 }),
    ])
  })

  it('gives anomalies in time order', () => {
    const events = [...clean, commit(1, 20), delivery('a', 0, 15)]
    const report = checkHistory({ events, final: [log('a', 'b', 'c')] })
    expect(report.anomalies.map((anomaly) => anomaly.kind)).toEqual([
      'nonmonotonicPoll',
      'commitRegression',
    ])
  })
})
