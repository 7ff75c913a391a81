/**
 * The scheduler's priority queue: a binary min-heap over (time, sequence) kept in three flat
 * typed arrays, so that a pending event costs 20 bytes of heap storage and no object. The
 * sequence number breaks ties between events at the same instant in the order they were
 * scheduled, which is what makes a run reproducible. The payload is a slot number; the
 * scheduler keeps the slot's handler and context in its own arrays.
 *
 * Sifting moves a "hole" instead of swapping, so each level costs one write per array.
 */

/** The capacity a new heap starts with; it doubles when full. */
const CAPACITY_INITIAL = 1024
/** A hard bound on pending events: beyond this a run is surely a bug (about 320 MiB). */
export const HEAP_ENTRIES_MAX = 1 << 24

export class EventHeap {
  private times = new Float64Array(CAPACITY_INITIAL)
  private seqs = new Float64Array(CAPACITY_INITIAL)
  private slots = new Int32Array(CAPACITY_INITIAL)
  private count = 0

  get size(): number {
    return this.count
  }

  /** The time of the earliest entry; only meaningful when `size > 0`. */
  peekTime(): number {
    return this.times[0] as number
  }

  /** The sequence number of the earliest entry; only meaningful when `size > 0`. */
  peekSeq(): number {
    return this.seqs[0] as number
  }

  /** The slot of the earliest entry; only meaningful when `size > 0`. */
  peekSlot(): number {
    return this.slots[0] as number
  }

  push(time: number, seq: number, slot: number): void {
    if (this.count === this.times.length) this.grow()
    const times = this.times
    const seqs = this.seqs
    const slots = this.slots
    let hole = this.count++
    while (hole > 0) {
      const parent = (hole - 1) >> 1
      const parentTime = times[parent] as number
      if (parentTime < time || (parentTime === time && (seqs[parent] as number) < seq)) break
      times[hole] = parentTime
      seqs[hole] = seqs[parent] as number
      slots[hole] = slots[parent] as number
      hole = parent
    }
    times[hole] = time
    seqs[hole] = seq
    slots[hole] = slot
  }

  /** Removes the earliest entry. Read it first with the `peek*` methods. */
  pop(): void {
    const last = --this.count
    if (last <= 0) return
    const times = this.times
    const seqs = this.seqs
    const slots = this.slots
    const time = times[last] as number
    const seq = seqs[last] as number
    const slot = slots[last] as number
    let hole = 0
    for (;;) {
      let child = 2 * hole + 1
      if (child >= last) break
      let childTime = times[child] as number
      const right = child + 1
      if (right < last) {
        const rightTime = times[right] as number
        if (
          rightTime < childTime ||
          (rightTime === childTime && (seqs[right] as number) < (seqs[child] as number))
        ) {
          child = right
          childTime = rightTime
        }
      }
      if (time < childTime || (time === childTime && seq < (seqs[child] as number))) break
      times[hole] = childTime
      seqs[hole] = seqs[child] as number
      slots[hole] = slots[child] as number
      hole = child
    }
    times[hole] = time
    seqs[hole] = seq
    slots[hole] = slot
  }

  private grow(): void {
    const capacity = this.times.length * 2
    if (capacity > HEAP_ENTRIES_MAX) {
      throw new RangeError(`more than ${HEAP_ENTRIES_MAX} pending events`)
    }
    const times = new Float64Array(capacity)
    const seqs = new Float64Array(capacity)
    const slots = new Int32Array(capacity)
    times.set(this.times)
    seqs.set(this.seqs)
    slots.set(this.slots)
    this.times = times
    this.seqs = seqs
    this.slots = slots
  }
}
