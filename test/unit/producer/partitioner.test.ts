import { describe, expect, it } from 'vitest'
import {
  DefaultPartitioner,
  murmur2,
  partitionForKey,
  toPositive,
} from '../../../src/actors/producer/partitioner.js'
import { InvalidArgumentError } from '../../../src/runtime/errors/samsa-error.js'

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values)

describe('murmur2', () => {
  // apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('matches Kafka UtilsTest for %j', (key, expected) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected)
  })

  // tulios/kafkajs v2.2.4 src/producer/partitioners/default/murmur2.spec.js (generated there
  // with the Java client's murmur2, see Test.java next to it).
  it.each([
    ['0', 971027396],
    ['1', -1993445489],
    ['128', -326012175],
    ['2187', -1508407203],
    ['16384', -325739742],
    ['78125', -1654490814],
    ['279936', 1462227128],
    ['823543', -2014198330],
    ['2097152', 607668903],
    ['4782969', -1182699775],
    ['10000000', -1830336757],
    ['19487171', -1603849305],
    ['35831808', -857013643],
    ['62748517', -1167431028],
    ['105413504', -381294639],
    ['170859375', -1658323481],
    ['100:48069', 1009543857],
  ])('matches KafkaJS murmur2.spec for %j', (key, expected) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected)
  })

  // confluentinc/librdkafka src/rdmurmur2.c, unittest_murmur2 (java_murmur2_results, written as
  // unsigned hex there; `| 0` reads them as Java's signed int). Covers every tail length 0–3.
  it.each([
    ['kafka', 0xd067cf64],
    ['giberish123456789', 0x8f552b0c],
    ['1234', 0x9fc97b14],
    ['234', 0xe7c009ca],
    ['34', 0x873930da],
    ['4', 0x5a4b5ca1],
    ['PreAmbleWillBeRemoved,ThePrePartThatIs', 0x78424f1c],
    ['reAmbleWillBeRemoved,ThePrePartThatIs', 0x4a62b377],
    ['eAmbleWillBeRemoved,ThePrePartThatIs', 0xe0e4e09e],
    ['AmbleWillBeRemoved,ThePrePartThatIs', 0x62b8b43f],
    ['', 0x106e08d9],
  ])('matches librdkafka unittest_murmur2 for %j', (key, expected) => {
    expect(murmur2(Buffer.from(key, 'utf8'))).toBe(expected | 0)
  })

  // burdiyan/kafkautil partitioner_test.go TestMurmur2 ("generated offline using JVM Kafka
  // client for version 1.0.0"): a binary key that is not text.
  it('matches the JVM client for a binary key', () => {
    expect(murmur2(bytes(12, 42, 56, 24, 109, 111))).toBe(274204207)
  })

  // No published vector found has bytes >= 0x80, where a port that sign-extends Java's bytes
  // goes wrong. These were computed by running KafkaJS v2.2.4's Java reference
  // (src/producer/partitioners/default/Test.java) and its murmur2.js; both agreed.
  it.each([
    ['ff', -311467685],
    ['8081feff007fc3', -2074202226],
    ['e697a5e69cace8aa9ee382ade383bc', 1445825182],
    ['c3bc6ec3af63c3b864c3a9', 2147241326],
  ])('treats bytes as unsigned, as Java masks them (%s)', (hex, expected) => {
    expect(murmur2(Buffer.from(hex, 'hex'))).toBe(expected)
  })

  it('hashes a Uint8Array view by its own bytes, not its whole backing buffer', () => {
    const backing = Buffer.from('xx21yy', 'utf8')
    expect(murmur2(backing.subarray(2, 4))).toBe(-973932308)
  })
})

describe('toPositive', () => {
  it('clears the sign bit instead of negating', () => {
    expect(toPositive(-973932308)).toBe(1173551340)
    expect(toPositive(-(2 ** 31))).toBe(0)
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(42)).toBe(42)
  })
})

describe('partitionForKey', () => {
  // dpkp/kafka-python test/test_partitioner.py test_murmur2_java_compatibility: 1000 partitions,
  // "compare with output from Kafka's org.apache.kafka.clients.producer.Partitioner".
  it.each([
    ['', 681],
    ['a', 524],
    ['ab', 434],
    ['abc', 107],
    ['123456789', 566],
  ])('puts string key %j where the Java client does', (key, expected) => {
    expect(partitionForKey(key, 1000)).toBe(expected)
  })

  it('puts a binary key where the Java client does', () => {
    expect(partitionForKey(bytes(0x00, 0x20), 1000)).toBe(742)
  })

  // librdkafka tests/0048-partitioner.c, murmur2 partitioner, as quoted in segmentio/kafka-go
  // balancer_test.go TestMurmur2Balancer: the positive hash of each key, taken mod 17.
  it.each([
    ['23456', 0x058d780f],
    ['this is another string with more length to it perhaps', 0x4f7703da],
    ['hejsan', 0x5ec19395],
  ])('agrees with librdkafka for %j', (key, positiveHash) => {
    expect(partitionForKey(key, 17)).toBe(positiveHash % 17)
  })

  it('hashes a string key by its UTF-8 bytes', () => {
    const key = 'ünïcødé'
    expect(partitionForKey(key, 7)).toBe(partitionForKey(Buffer.from(key, 'utf8'), 7))
    expect(partitionForKey(key, 7)).toBe(2147241326 % 7)
  })
})

describe('DefaultPartitioner.choosePartition', () => {
  const topic = 'orders'

  it('sends a keyed message where the Java client would', () => {
    const partitioner = new DefaultPartitioner()
    expect(partitioner.choosePartition({ topic, key: 'abc', numPartitions: 1000 })).toBe(107)
    expect(partitioner.choosePartition({ topic, key: bytes(0, 32), numPartitions: 1000 })).toBe(742)
  })

  it('hashes a keyed message over all partitions, available or not', () => {
    const partitioner = new DefaultPartitioner()
    const chosen = partitioner.choosePartition({
      topic,
      key: 'abc',
      numPartitions: 1000,
      availablePartitions: [0, 1],
    })
    expect(chosen).toBe(107)
  })

  it('lets an explicit partition win over the key, including partition 0', () => {
    const partitioner = new DefaultPartitioner()
    expect(partitioner.choosePartition({ topic, key: 'abc', partition: 0, numPartitions: 3 })).toBe(
      0,
    )
    expect(partitioner.choosePartition({ topic, key: 'abc', partition: 2, numPartitions: 3 })).toBe(
      2,
    )
  })

  it.each([3, -1, 1.5, Number.NaN])('refuses explicit partition %s of a 3-partition topic', (p) => {
    const partitioner = new DefaultPartitioner()
    expect(() => partitioner.choosePartition({ topic, partition: p, numPartitions: 3 })).toThrow(
      InvalidArgumentError,
    )
  })

  it('refuses a topic without partitions', () => {
    const partitioner = new DefaultPartitioner()
    expect(() => partitioner.choosePartition({ topic, key: 'abc', numPartitions: 0 })).toThrow(
      /at least one partition/,
    )
  })

  it('refuses a key that is neither text nor bytes', () => {
    const partitioner = new DefaultPartitioner()
    const key = 42 as unknown as string
    expect(() => partitioner.choosePartition({ topic, key, numPartitions: 3 })).toThrow(
      InvalidArgumentError,
    )
  })

  it('spreads null and undefined keys round-robin, evenly', () => {
    const partitioner = new DefaultPartitioner()
    const chosen = Array.from({ length: 9 }, (_, index) =>
      partitioner.choosePartition({ topic, key: index % 2 ? null : undefined, numPartitions: 3 }),
    )
    expect(chosen).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2])
  })

  it('keeps one round-robin counter per topic', () => {
    const partitioner = new DefaultPartitioner()
    const next = (name: string) => partitioner.choosePartition({ topic: name, numPartitions: 2 })
    expect([next('a'), next('b'), next('a'), next('b'), next('a')]).toEqual([0, 0, 1, 1, 0])
  })

  // As KafkaJS's legacy/index.spec.js 'round-robin with unavailable partitions': only
  // partitions with a leader get null-key records, and they share them evenly.
  it('rotates null keys over available partitions only', () => {
    const partitioner = new DefaultPartitioner()
    const counts = new Map<number, number>()
    for (let index = 0; index < 100; index++) {
      const chosen = partitioner.choosePartition({
        topic,
        numPartitions: 3,
        availablePartitions: [2, 0],
      })
      counts.set(chosen, (counts.get(chosen) ?? 0) + 1)
    }
    expect(Object.fromEntries(counts)).toEqual({ 0: 50, 2: 50 })
  })

  it('falls back to every partition when none is available', () => {
    const partitioner = new DefaultPartitioner()
    const chosen = [0, 1, 2].map(() =>
      partitioner.choosePartition({ topic, numPartitions: 3, availablePartitions: [] }),
    )
    expect(chosen).toEqual([0, 1, 2])
  })

  it('starts each topic where counterStart says and wraps like a Java int', () => {
    const partitioner = new DefaultPartitioner({ counterStart: () => 0x7fffffff })
    const chosen = [0, 1, 2].map(() => partitioner.choosePartition({ topic, numPartitions: 5 }))
    // 0x7fffffff % 5 = 2, then the counter wraps to -2^31, whose positive form is 0.
    expect(chosen).toEqual([2, 0, 1])
  })
})
