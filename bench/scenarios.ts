import { actorMessaging } from './actors/actor-messaging.js'
import { e2eBench } from './e2e/e2e-bench.js'
import { logBench } from './log/log-bench.js'
import type { BenchScenario } from './scenario.js'

/** Every scenario `samsa bench` knows, by name. */
export const scenarios: readonly BenchScenario[] = [actorMessaging, e2eBench, logBench]
