import { parentPort } from 'node:worker_threads'

// The spawn baseline's thread: it only says it is up.
parentPort?.postMessage({ type: 'ready' })
