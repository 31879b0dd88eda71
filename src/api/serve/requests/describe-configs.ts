import {
  parseTopicConfigs,
  type TopicConfigs,
} from '../../../actors/supervisor/supervisor-protocol.js'
import type { TopicConfig } from '../../../actors/topic-config.js'
import type {
  DescribeConfigsResourceResult,
  DescribeConfigsResponse,
  DescribeConfigsResult,
} from '../../../runtime/kafka-protocol/generated/describe-configs.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { codeOf, errorCodeOf, errorMessageOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'
import type { ListenerContext } from '../serve-context.js'

/** Kafka's resource types and config sources and types, as the protocol numbers them. */
const TOPIC_RESOURCE = 2
const BROKER_RESOURCE = 4
const SOURCE_TOPIC = 1
const SOURCE_STATIC_BROKER = 4
const SOURCE_DEFAULT = 5
const TYPE_BOOLEAN = 1
const TYPE_STRING = 2
const TYPE_INT = 3
const TYPE_LONG = 5

interface ConfigEntry {
  readonly name: string
  readonly value: string
  readonly type: number
  /** Whether the value is the default, not set for this resource. */
  readonly isDefault: boolean
}

/**
 * DescribeConfigs: the topic configs samsa has (retention, sizes, min ISR) with Kafka's names,
 * plus the fixed ones that describe how it behaves; for a broker, the settings clients ask
 * about. Read-only: samsa takes no AlterConfigs.
 */
export const describeConfigs: RequestHandler<typeof ApiKeys.DescribeConfigs> = {
  apiKey: ApiKeys.DescribeConfigs,
  minVersion: 0,
  maxVersion: 4,
  async handle(request, version, { listener }): Promise<DescribeConfigsResponse> {
    const topics = request.resources
      .filter((resource) => resource.resourceType === TOPIC_RESOURCE)
      .map((resource) => resource.resourceName)
    let configs: TopicConfigs | undefined
    let failure: unknown
    try {
      configs = await listener.cluster.supervisor.ask(
        { type: 'topic-configs', topics },
        { parseReply: parseTopicConfigs },
      )
    } catch (error) {
      failure = error
    }
    return {
      throttleTimeMs: 0,
      results: request.resources.map((resource): DescribeConfigsResult => {
        const result = (
          errorCode: number,
          errorMessage: string | null,
          entries: ConfigEntry[],
        ) => ({
          errorCode,
          errorMessage,
          resourceType: resource.resourceType,
          resourceName: resource.resourceName,
          configs: entries
            .filter(
              (entry) =>
                resource.configurationKeys === null ||
                resource.configurationKeys.includes(entry.name),
            )
            .map((entry) => asResult(entry, resource.resourceType, version)),
        })
        if (configs === undefined) {
          return result(errorCodeOf(failure, 'NOT_CONTROLLER'), errorMessageOf(failure), [])
        }
        if (resource.resourceType === BROKER_RESOURCE) {
          return result(NONE, null, brokerEntries(configs.defaults, listener))
        }
        if (resource.resourceType !== TOPIC_RESOURCE) {
          return result(codeOf('INVALID_REQUEST'), 'samsa describes topics and brokers', [])
        }
        const config = configs.topics.find((entry) => entry.topic === resource.resourceName)?.config
        if (config === undefined || config === null) {
          return result(
            codeOf('UNKNOWN_TOPIC_OR_PARTITION'),
            `topic '${resource.resourceName}' does not exist`,
            [],
          )
        }
        return result(NONE, null, topicEntries(config, configs.defaults))
      }),
    }
  },
}

function topicEntries(config: TopicConfig, defaults: TopicConfig): ConfigEntry[] {
  const entry = (
    name: string,
    value: number | undefined,
    fallback: number | undefined,
  ): ConfigEntry => ({
    name,
    value: String(value ?? -1),
    type: TYPE_LONG,
    isDefault: value === fallback,
  })
  return [
    { name: 'cleanup.policy', value: 'delete', type: TYPE_STRING, isDefault: true },
    { name: 'compression.type', value: 'producer', type: TYPE_STRING, isDefault: true },
    { name: 'message.timestamp.type', value: 'CreateTime', type: TYPE_STRING, isDefault: true },
    entry('retention.ms', config.retentionMs, defaults.retentionMs),
    entry('retention.bytes', config.retentionBytes, defaults.retentionBytes),
    {
      ...entry('max.message.bytes', config.maxMessageBytes, defaults.maxMessageBytes),
      type: TYPE_INT,
    },
    {
      ...entry('min.insync.replicas', config.minInsyncReplicas, defaults.minInsyncReplicas),
      type: TYPE_INT,
    },
    entry('samsa.log.capacity.bytes', config.logCapacityBytes, defaults.logCapacityBytes),
  ]
}

function brokerEntries(defaults: TopicConfig, listener: ListenerContext): ConfigEntry[] {
  const fixed = (name: string, value: string, type: number): ConfigEntry => ({
    name,
    value,
    type,
    isDefault: false,
  })
  return [
    fixed('auto.create.topics.enable', String(listener.autoCreateTopics), TYPE_BOOLEAN),
    fixed('num.partitions', '1', TYPE_INT),
    fixed('default.replication.factor', '1', TYPE_INT),
    fixed('min.insync.replicas', String(defaults.minInsyncReplicas), TYPE_INT),
    fixed('message.max.bytes', String(defaults.maxMessageBytes), TYPE_INT),
    fixed('log.retention.ms', String(defaults.retentionMs ?? -1), TYPE_LONG),
    fixed('replica.lag.time.max.ms', String(defaults.replicaLagTimeMaxMs), TYPE_LONG),
  ]
}

function asResult(
  entry: ConfigEntry,
  resourceType: number,
  version: number,
): DescribeConfigsResourceResult {
  const source = entry.isDefault
    ? SOURCE_DEFAULT
    : resourceType === TOPIC_RESOURCE
      ? SOURCE_TOPIC
      : SOURCE_STATIC_BROKER
  return {
    name: entry.name,
    value: entry.value,
    readOnly: true,
    // Version 0 says "default" with a flag; later versions say where the value came from.
    isDefault: version === 0 && entry.isDefault,
    configSource: source,
    isSensitive: false,
    synonyms: [],
    configType: entry.type,
    documentation: null,
  }
}
