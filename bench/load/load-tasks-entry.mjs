// The load pool's worker entry when samsa runs from its TypeScript sources: Node 20 cannot
// load .ts by itself, and a worker does not inherit the main thread's loader, so each pool
// worker registers tsx before it imports the tasks. A build (dist/) loads load-tasks.js
// directly and never uses this file.
const { register } = await import('tsx/esm/api')
register()
const tasks = await import('./load-tasks.ts')

export const warmUp = tasks.warmUp
export const produceShare = tasks.produceShare
export const consumeShare = tasks.consumeShare
