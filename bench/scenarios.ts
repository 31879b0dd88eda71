import { actorMessaging } from './actors/actor-messaging.js'
import { e2eBench } from './e2e/e2e-bench.js'
import { failoverBench } from './failover/failover-bench.js'
import { latencyBench } from './latency/latency-bench.js'
import { logBench } from './log/log-bench.js'
import { microBench } from './micro/micro-bench.js'
import { rebalanceBench } from './rebalance/rebalance-bench.js'
import { scaleBench } from './scale/scale-bench.js'
import type { BenchScenario } from './scenario.js'
import { startupBench } from './startup/startup-bench.js'
import { wireBench } from './wire/wire-bench.js'

/** Every scenario `samsa bench` knows, in `--help` order. A new one is one more entry. */
export const scenarios: readonly BenchScenario[] = [
  actorMessaging,
  e2eBench,
  logBench,
  latencyBench,
  startupBench,
  microBench,
  failoverBench,
  scaleBench,
  rebalanceBench,
  wireBench,
]
