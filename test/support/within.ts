/** `work`, or an error saying what never happened within `ms`; the timer goes either way. */
export async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Waits until `ready()` holds, looking every `everyMs`; an error saying what did not happen after `ms`. */
export async function until(
  ms: number,
  what: string,
  ready: () => boolean | Promise<boolean>,
  everyMs = 20,
): Promise<void> {
  const deadline = performance.now() + ms
  while (!(await ready())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
