import type { ApiKey } from '../../runtime/kafka-protocol/index.js'
import type { RequestHandler } from './request-handler.js'
import { addOffsetsToTxn } from './requests/add-offsets-to-txn.js'
import { addPartitionsToTxn } from './requests/add-partitions-to-txn.js'
import { apiVersions } from './requests/api-versions.js'
import { createPartitions } from './requests/create-partitions.js'
import { createTopics } from './requests/create-topics.js'
import { deleteGroups } from './requests/delete-groups.js'
import { deleteTopics } from './requests/delete-topics.js'
import { describeCluster } from './requests/describe-cluster.js'
import { describeConfigs } from './requests/describe-configs.js'
import { describeGroups } from './requests/describe-groups.js'
import { endTxn } from './requests/end-txn.js'
import { fetch } from './requests/fetch.js'
import { findCoordinator } from './requests/find-coordinator.js'
import { heartbeat } from './requests/heartbeat.js'
import { initProducerId } from './requests/init-producer-id.js'
import { joinGroup } from './requests/join-group.js'
import { leaveGroup } from './requests/leave-group.js'
import { listGroups } from './requests/list-groups.js'
import { listOffsets } from './requests/list-offsets.js'
import { metadata } from './requests/metadata.js'
import { offsetCommit } from './requests/offset-commit.js'
import { offsetFetch } from './requests/offset-fetch.js'
import { produce } from './requests/produce.js'
import { syncGroup } from './requests/sync-group.js'
import { txnOffsetCommit } from './requests/txn-offset-commit.js'

/** Every API the wire listener serves, one handler each. */
export const REQUEST_HANDLERS = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  apiVersions,
  createTopics,
  deleteTopics,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
  describeConfigs,
  createPartitions,
  deleteGroups,
  describeCluster,
] as readonly RequestHandler<ApiKey>[]
