/**
 * Short-lived byte arrays cut from a shared 64 KiB slab instead of allocated one by one: a
 * typed array over 64 bytes gets a backing store of its own outside the JS heap (allocated,
 * zeroed, registered, swept), which the TURN data path paid for every ChannelData it built.
 * A slab is never reused: a full one is dropped (and collected once no view of it is left)
 * and a new one started, so a view handed out stays valid for as long as anyone holds it.
 * Views are not zeroed: the caller writes every byte. Node's Buffer pool works the same way.
 */
export class ByteSlab {
  private slab: ArrayBuffer
  private offset = 0

  constructor(private readonly slabBytes = 64 * 1024) {
    this.slab = new ArrayBuffer(slabBytes)
  }

  take(length: number): Uint8Array {
    // large ones on their own: a slab would hold little else
    if (length > this.slabBytes >>> 3) return new Uint8Array(length)
    if (this.offset + length > this.slabBytes) {
      this.slab = new ArrayBuffer(this.slabBytes)
      this.offset = 0
    }
    const view = new Uint8Array(this.slab, this.offset, length)
    this.offset += (length + 7) & ~7
    return view
  }
}
