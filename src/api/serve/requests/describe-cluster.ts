import type { DescribeClusterResponse } from '../../../runtime/kafka-protocol/generated/describe-cluster.js'
import { ApiKeys } from '../../../runtime/kafka-protocol/index.js'
import { advertisedBrokers } from '../cluster-view.js'
import { codeOf, NONE } from '../error-codes.js'
import type { RequestHandler } from '../request-handler.js'

const OPERATIONS_OMITTED = -2147483648
/** DescribeCluster's endpoint types: 1 is the brokers (2, controllers, is KRaft's). */
const BROKER_ENDPOINTS = 1

/** DescribeCluster: the cluster id, the controller, and the live brokers' listeners. */
export const describeCluster: RequestHandler<typeof ApiKeys.DescribeCluster> = {
  apiKey: ApiKeys.DescribeCluster,
  minVersion: 0,
  maxVersion: 1,
  async handle(request, version, { listener }): Promise<DescribeClusterResponse> {
    const snapshot = await listener.cluster.metadata.latest()
    const endpointType = version >= 1 ? BROKER_ENDPOINTS : request.endpointType
    if (version >= 1 && request.endpointType !== BROKER_ENDPOINTS) {
      return {
        throttleTimeMs: 0,
        errorCode: codeOf('INVALID_REQUEST'),
        errorMessage: 'samsa lists broker endpoints only',
        endpointType: request.endpointType,
        clusterId: listener.clusterId,
        controllerId: -1,
        brokers: [],
        clusterAuthorizedOperations: OPERATIONS_OMITTED,
      }
    }
    return {
      throttleTimeMs: 0,
      errorCode: NONE,
      errorMessage: null,
      endpointType,
      clusterId: listener.clusterId,
      controllerId: snapshot.controllerId,
      brokers: advertisedBrokers(snapshot, listener).map(({ nodeId, host, port }) => ({
        brokerId: nodeId,
        host,
        port,
        rack: null,
      })),
      clusterAuthorizedOperations: OPERATIONS_OMITTED,
    }
  },
}
