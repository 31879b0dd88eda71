import type { MessagePort } from 'node:worker_threads'
import type { AgreedStructures } from '../transport/wire-codec.js'

/**
 * What a thread the main system did not start needs to join the actor network for a while
 * (see guest-links.ts): its node number, one channel to every thread, the agreed structures.
 */
export interface GuestLinks {
  readonly node: number
  /** One port per thread of the network: transfer them to the guest with this object. */
  readonly peers: readonly { readonly node: number; readonly port: MessagePort }[]
  readonly structures: AgreedStructures
}
