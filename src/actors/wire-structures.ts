import type { AgreedStructures } from '../runtime/transport/wire-codec.js'
import {
  FOLLOWER_PROGRESS_FIELDS,
  PARTITION_BATCH_FIELDS,
  PARTITION_PRODUCED_FIELDS,
  PRODUCE_REPLY_FIELDS,
  PRODUCE_REQUEST_FIELDS,
} from './broker/broker-protocol.js'

/**
 * The shapes of the messages on the record path, which every thread of a cluster agrees on at
 * start: msgpackr then writes each as a record id and its values, where a shape it was not
 * given goes with its keys in every frame and is learned again by every decode, which on the
 * latency scenario doubled the median (bench/README.md, "Figures behind choices in the code").
 * A message whose fields drift from its entry here still travels, only slower; the unit test
 * of this list checks that none has.
 */
export const RECORD_PATH_STRUCTURES: AgreedStructures = [
  PRODUCE_REQUEST_FIELDS,
  PARTITION_BATCH_FIELDS,
  PRODUCE_REPLY_FIELDS,
  PARTITION_PRODUCED_FIELDS,
  FOLLOWER_PROGRESS_FIELDS,
]
