import { type MessagePort, parentPort } from 'node:worker_threads'

/*
 * The baseline: what one writes by hand with worker threads — one postMessage per message
 * over a MessageChannel between two workers, structured clone, no runtime in between.
 */

const parent = parentPort as MessagePort
let peer: MessagePort | undefined
let received = 0
let pongWaiter: (() => void) | undefined

function onPeerMessage(message: { t: string; n?: number; items?: unknown[]; total?: number }) {
  switch (message.t) {
    case 'm':
      received += 1
      return
    case 'b':
      received += message.items?.length ?? 0
      return
    case 'await':
      peer?.postMessage({ t: 'done', ok: received >= (message.total ?? 0) })
      received = 0
      return
    case 'ping':
      peer?.postMessage({ t: 'pong' })
      return
    case 'pong':
      pongWaiter?.()
      return
    case 'done':
      parent.postMessage({ t: 'done' })
      return
  }
}

async function pings(times: number): Promise<void> {
  for (let left = times; left > 0; left--) {
    await new Promise<void>((resolve) => {
      pongWaiter = resolve
      peer?.postMessage({ t: 'ping' })
    })
  }
  parent.postMessage({ t: 'done' })
}

parent.on(
  'message',
  (command: {
    cmd: string
    port?: MessagePort
    count?: number
    batchSize?: number
    times?: number
  }) => {
    if (command.cmd === 'connect' && command.port) {
      peer = command.port
      peer.on('message', onPeerMessage)
      parent.postMessage({ t: 'connected' })
    } else if (command.cmd === 'blast' && peer) {
      const total = command.count ?? 0
      const batchSize = command.batchSize ?? 1
      if (batchSize <= 1) {
        for (let n = 0; n < total; n++) peer.postMessage({ t: 'm', n })
      } else {
        for (let sent = 0; sent < total; sent += batchSize) {
          const items = Array.from({ length: batchSize }, (_, index) => ({ n: sent + index }))
          peer.postMessage({ t: 'b', items })
        }
      }
      peer.postMessage({ t: 'await', total })
    } else if (command.cmd === 'pings') {
      void pings(command.times ?? 0)
    }
  },
)
