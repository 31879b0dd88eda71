import { build, type Histogram } from 'hdr-histogram-js'
import { fieldsOf, numberField } from '../../src/actors/protocol-fields.js'
import { MalformedMessageError } from '../../src/runtime/errors/actor-errors.js'

/*
 * End-to-end latency as an HDR histogram of nanoseconds (3 significant digits; the range
 * grows as needed), summarized the same way for samsa and for its baselines.
 */

/** Percentiles of end-to-end latency, in microseconds. */
export interface LatencySummary {
  readonly p50Us: number
  readonly p90Us: number
  readonly p99Us: number
  readonly p999Us: number
  readonly maxUs: number
}

/** One point of a percentile distribution chart. */
export interface PercentilePoint {
  readonly percentile: number
  readonly us: number
}

export interface LatencyFigures extends LatencySummary {
  /** The distribution at fixed percentiles, for the report's chart. */
  readonly distribution: readonly PercentilePoint[]
}

const CHART_PERCENTILES = [0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100]
const NS_PER_US = 1000

export function latencyHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: 3, useWebAssembly: false })
}

/** Records one latency, given in (fractional) milliseconds. */
export function recordLatencyMs(histogram: Histogram, latencyMs: number): void {
  histogram.recordValue(Math.max(0, Math.round(latencyMs * 1e6)))
}

export function latencyFigures(histogram: Histogram): LatencyFigures {
  const us = (percentile: number) => histogram.getValueAtPercentile(percentile) / NS_PER_US
  return {
    p50Us: us(50),
    p90Us: us(90),
    p99Us: us(99),
    p999Us: us(99.9),
    maxUs: histogram.maxValue / NS_PER_US,
    distribution: CHART_PERCENTILES.map((percentile) => ({
      percentile,
      us: percentile === 100 ? histogram.maxValue / NS_PER_US : us(percentile),
    })),
  }
}

/** Validates latency figures that arrived from another thread. */
export function parseLatencyFigures(value: unknown): LatencyFigures {
  const fields = fieldsOf(value, 'latency figures')
  const distribution = fields.distribution
  if (!Array.isArray(distribution)) throw new MalformedMessageError('distribution must be an array')
  return {
    p50Us: numberField(fields, 'p50Us', 0),
    p90Us: numberField(fields, 'p90Us', 0),
    p99Us: numberField(fields, 'p99Us', 0),
    p999Us: numberField(fields, 'p999Us', 0),
    maxUs: numberField(fields, 'maxUs', 0),
    distribution: distribution.map((entry) => {
      const point = fieldsOf(entry, 'percentile point')
      return { percentile: numberField(point, 'percentile', 0), us: numberField(point, 'us', 0) }
    }),
  }
}
