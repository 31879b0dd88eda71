import { describe, expect, it } from 'vitest'
import { StagingArea } from '../../../src/actors/producer/staging-area.js'

const bytes = (length: number, fill: number) => new Uint8Array(length).fill(fill)

describe('StagingArea', () => {
  it('places batches 8-byte aligned in shared memory, as copies of what was given', () => {
    const area = new StagingArea(256)
    const first = area.stage(bytes(10, 1))
    const second = area.stage(bytes(5, 2))
    expect(first?.view.buffer).toBeInstanceOf(SharedArrayBuffer)
    expect([first?.view.byteOffset, second?.view.byteOffset]).toEqual([0, 16])
    expect([...(second?.view ?? [])]).toEqual([2, 2, 2, 2, 2])
  })

  it('refuses when full, and gives room back only in the order it was taken', () => {
    const area = new StagingArea(64)
    const first = area.stage(bytes(32, 1))
    const second = area.stage(bytes(32, 2))
    expect(area.stage(bytes(8, 3))).toBeUndefined()
    second?.release()
    expect(area.stage(bytes(8, 3))).toBeUndefined()
    first?.release()
    const third = area.stage(bytes(8, 3))
    expect(third?.view.byteOffset).toBe(0)
  })

  it('never lets a batch straddle the end: it starts again at zero', () => {
    const area = new StagingArea(64)
    area.stage(bytes(40, 1))?.release()
    const wrapped = area.stage(bytes(32, 2))
    expect(wrapped?.view.byteOffset).toBe(0)
  })
})
