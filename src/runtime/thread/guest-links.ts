import { MessagePort } from 'node:worker_threads'
import { ActorSystem } from '../actor/actor-system.js'
import { parseParentToThread } from '../transport/control-frames.js'
import type { AgreedStructures } from '../transport/wire-codec.js'
import type { GuestLinks } from './guest-links-data.js'

export type { GuestLinks } from './guest-links-data.js'

/** The thread that started the network: its supervisor tells guests how the network changes. */
const MAIN_NODE = 0

/*
 * A guest: a thread the main system did not start and does not supervise (a worker of a
 * piscina pool running a benchmark's load generator, a chaos run's client) that joins the
 * actor network for a while. It gets a node number and one direct channel to every thread
 * running at the time, the main thread included, so its clients reach brokers in one hop as
 * actor threads do. Over its channel to the main thread it then hears what an actor thread
 * hears: a thread (re)started later (a new channel to it), a thread's death, the link faults.
 */

/** The ports to list in the transfer list of the message that carries `links`. */
export function guestPorts(links: GuestLinks): MessagePort[] {
  return links.peers.map((peer) => peer.port)
}

/** Validates guest links that arrived from another thread. */
export function parseGuestLinks(value: unknown): GuestLinks {
  if (typeof value !== 'object' || value === null) throw new TypeError('guest links are missing')
  const links = value as Record<string, unknown>
  if (!Number.isInteger(links.node) || (links.node as number) < 1) {
    throw new TypeError('guest links need a node number ≥ 1')
  }
  if (!Array.isArray(links.peers)) throw new TypeError('guest links need a list of peers')
  const peers = links.peers.map((entry: unknown) => {
    const peer = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >
    if (!Number.isInteger(peer.node) || !(peer.port instanceof MessagePort)) {
      throw new TypeError('each guest peer needs a node number and a MessagePort')
    }
    return { node: peer.node as number, port: peer.port }
  })
  const structures = links.structures
  if (
    !Array.isArray(structures) ||
    !structures.every((keys) => Array.isArray(keys) && keys.every((key) => typeof key === 'string'))
  ) {
    throw new TypeError('guest links carry malformed structures')
  }
  return { node: links.node as number, peers, structures: structures as AgreedStructures }
}

/**
 * The guest's side: an actor system on this thread, linked to every peer. `leave` stops it
 * and closes the ports, so the thread can go back to its pool with nothing left open.
 */
export function joinAsGuest(links: GuestLinks): { system: ActorSystem; leave(): Promise<void> } {
  const system = new ActorSystem(links.node, { structures: links.structures })
  const ports = new Map<number, MessagePort>()
  const link = (node: number, port: MessagePort) => {
    ports.get(node)?.close()
    ports.set(node, port)
    system.attachNode(node, port)
    port.on('message', (frame: unknown) => {
      if (system.receiveFrame(node, frame) || node !== MAIN_NODE) return
      const control = parseParentToThread(frame)
      switch (control?.kind) {
        case 'peer':
          link(control.node, control.port)
          return
        case 'node-down':
          ports.get(control.node)?.close()
          ports.delete(control.node)
          system.nodeDown(control.node, control.reason)
          return
        case 'faults':
          system.applyFaultRules(control.rules)
          return
      }
    })
  }
  for (const { node, port } of links.peers) link(node, port)
  return {
    system,
    async leave() {
      await system.stop()
      for (const port of ports.values()) port.close()
    },
  }
}
