/**
 * The target of the cooperative-sticky assigner: the most balanced assignment there is, keeping
 * as many partitions with their current owners as that allows.
 *
 * "Most balanced" is the assignment with the smallest sum of squared member loads. With equal
 * subscriptions its loads differ by at most one; with differing ones, no member could take a
 * partition off a member holding two more, directly or through a chain of hand-overs between
 * subscribers of the partitions handed over. That is exactly when no such chain (a
 * "cost-reducing path") is left, which is how it is reached: shift along one, repeat.
 *
 * Stickiness comes from the order of the work. First every owner keeps what it owns and the
 * unowned partitions are spread, balancing only by moving those. Only then may owned partitions
 * move, to fix what is still unbalanced. So when the owned partitions are part of some most
 * balanced assignment, as after a cooperative round that only withheld partitions, the first
 * step already reaches the best balance and no owned partition moves.
 */

/** A partition, as the target computation sees it. */
export interface PartitionSlot {
  /** Index into `subscribersByTopic`. */
  readonly topicIndex: number
  /** Its one valid owner (by member index, which the caller makes memberId order), or NO_MEMBER. */
  readonly owner: number
}

export interface StickyTargetInput {
  readonly memberCount: number
  /** Per topic, the indexes of the members subscribed to it, ascending. */
  readonly subscribersByTopic: readonly (readonly number[])[]
  /** The caller orders them by topic, then partition id, so the result is deterministic. */
  readonly slots: readonly PartitionSlot[]
}

/** The member index of no member: an unowned slot's owner, an unassignable slot's target. */
export const NO_MEMBER = -1

class Placement {
  readonly holder: Int32Array
  readonly load: Int32Array
  /** Per member, per topic: the slots it holds. */
  private readonly held: Set<number>[][]

  constructor(readonly input: StickyTargetInput) {
    this.holder = new Int32Array(input.slots.length).fill(NO_MEMBER)
    this.load = new Int32Array(input.memberCount)
    this.held = Array.from({ length: input.memberCount }, () =>
      Array.from({ length: input.subscribersByTopic.length }, () => new Set<number>()),
    )
  }

  place(slot: number, member: number): void {
    const topic = this.topicOf(slot)
    const from = this.holder[slot]!
    if (from !== NO_MEMBER) {
      this.held[from]![topic]!.delete(slot)
      this.load[from]!--
    }
    this.held[member]![topic]!.add(slot)
    this.load[member]!++
    this.holder[slot] = member
  }

  heldOf(member: number, topic: number): ReadonlySet<number> {
    return this.held[member]![topic]!
  }

  topicOf(slot: number): number {
    return this.input.slots[slot]!.topicIndex
  }

  ownerOf(slot: number): number {
    return this.input.slots[slot]!.owner
  }
}

/** Whether balancing may move a slot away from the member holding it. */
type Movable = (placement: Placement, slot: number) => boolean

const notOwnedByHolder: Movable = (placement, slot) =>
  placement.ownerOf(slot) !== placement.holder[slot]
const anySlot: Movable = () => true

interface HandOver {
  readonly from: number
  readonly to: number
  readonly topic: number
}

/**
 * A chain of hand-overs from `start` to a member with at least two fewer partitions, through
 * members that could each take one of the previous member's movable partitions. Breadth-first,
 * to the least loaded member reachable, so it is short and fixes the most; the search stops at
 * a member as light as the lightest of all (`fewest`), which none can beat.
 */
function costReducingPath(
  placement: Placement,
  start: number,
  movable: Movable,
  fewest: number,
): HandOver[] {
  const { memberCount, subscribersByTopic } = placement.input
  const { load } = placement
  const reachedBy: (HandOver | undefined)[] = new Array(memberCount)
  const visited = new Uint8Array(memberCount)
  visited[start] = 1
  const queue = [start]
  let best = NO_MEMBER
  search: for (let next = 0; next < queue.length; next++) {
    const member = queue[next]!
    for (let topic = 0; topic < subscribersByTopic.length; topic++) {
      if (!hasMovable(placement, placement.heldOf(member, topic), movable)) continue
      for (const subscriber of subscribersByTopic[topic]!) {
        if (visited[subscriber] === 1) continue
        visited[subscriber] = 1
        reachedBy[subscriber] = { from: member, to: subscriber, topic }
        queue.push(subscriber)
        if (best === NO_MEMBER || load[subscriber]! < load[best]!) best = subscriber
        if (load[best]! === fewest) break search
      }
    }
  }
  if (best === NO_MEMBER || load[best]! > load[start]! - 2) return []
  const path: HandOver[] = []
  for (let member = best; member !== start; ) {
    const step = reachedBy[member]!
    path.push(step)
    member = step.from
  }
  return path.reverse()
}

function hasMovable(placement: Placement, slots: ReadonlySet<number>, movable: Movable): boolean {
  for (const slot of slots) if (movable(placement, slot)) return true
  return false
}

/**
 * Which of `from`'s movable partitions of `topic` goes to `to`: one going back to its owner
 * first, then one `from` does not own (no revocation), then the lowest slot.
 */
function slotToHandOver(placement: Placement, step: HandOver, movable: Movable): number {
  let chosen = -1
  let chosenRank = Number.POSITIVE_INFINITY
  for (const slot of placement.heldOf(step.from, step.topic)) {
    if (!movable(placement, slot)) continue
    const owner = placement.ownerOf(slot)
    const rank = owner === step.to ? 0 : owner !== step.from ? 1 : 2
    if (rank < chosenRank || (rank === chosenRank && slot < chosen)) {
      chosen = slot
      chosenRank = rank
    }
  }
  return chosen
}

/** Shifts along cost-reducing paths until none is left, moving only what `movable` allows. */
function balance(placement: Placement, movable: Movable): void {
  const members = Array.from({ length: placement.input.memberCount }, (_, member) => member)
  for (;;) {
    const { load } = placement
    const fewest = Math.min(...load)
    members.sort((left, right) => load[right]! - load[left]! || left - right)
    let shifted = false
    for (const start of members) {
      if (load[start]! - fewest < 2) break
      const path = costReducingPath(placement, start, movable, fewest)
      if (path.length === 0) continue
      // From the far end back, so each member still holds what the search saw it hold.
      for (const step of path.reverse()) {
        placement.place(slotToHandOver(placement, step, movable), step.to)
      }
      shifted = true
      break
    }
    // Each shift lowers the sum of squared loads, so this ends.
    if (!shifted) return
  }
}

/** The target member of every slot (NO_MEMBER when no member subscribes to its topic). */
export function stickyTarget(input: StickyTargetInput): Int32Array {
  const placement = new Placement(input)
  const unowned: number[] = []
  input.slots.forEach(({ owner }, slot) => {
    if (owner === NO_MEMBER) unowned.push(slot)
    else placement.place(slot, owner)
  })
  // The partitions with the fewest possible takers first, while there is still room for them.
  const takers = (slot: number): number => input.subscribersByTopic[placement.topicOf(slot)]!.length
  unowned.sort((left, right) => takers(left) - takers(right) || left - right)
  for (const slot of unowned) {
    let least = NO_MEMBER
    for (const subscriber of input.subscribersByTopic[placement.topicOf(slot)]!) {
      if (least === NO_MEMBER || placement.load[subscriber]! < placement.load[least]!) {
        least = subscriber
      }
    }
    if (least !== NO_MEMBER) placement.place(slot, least)
  }
  balance(placement, notOwnedByHolder)
  balance(placement, anySlot)
  return placement.holder
}
