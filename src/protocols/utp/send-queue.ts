/**
 * The bytes a uTP connection was given to send but has not packetized yet: written chunks
 * kept as they are and cut into payloads of the size the windows allow.
 */
export class SendQueue {
  private readonly chunks: Uint8Array[] = []
  private bytes_ = 0
  /** How much of the first chunk already went out. */
  private offset = 0

  /** Bytes queued and not yet taken. */
  get bytes(): number {
    return this.bytes_
  }

  push(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.bytes_ += bytes.length
  }

  /** Puts payloads taken earlier back in front, in their order (to be cut again). */
  unshiftAll(payloads: readonly Uint8Array[]): void {
    if (payloads.length === 0) return
    const head = this.chunks[0]
    if (head !== undefined && this.offset > 0) {
      this.chunks[0] = head.subarray(this.offset)
      this.offset = 0
    }
    this.chunks.unshift(...payloads.filter((payload) => payload.length > 0))
    for (const payload of payloads) this.bytes_ += payload.length
  }

  /** The next `size` bytes (at most `bytes`): a view when one chunk holds them, else a copy. */
  take(size: number): Uint8Array {
    const head = this.chunks[0] as Uint8Array
    const available = head.length - this.offset
    let out: Uint8Array
    if (available >= size) {
      out = head.subarray(this.offset, this.offset + size)
      this.offset += size
      if (this.offset === head.length) {
        this.chunks.shift()
        this.offset = 0
      }
    } else {
      out = new Uint8Array(size)
      let filled = 0
      while (filled < size) {
        const chunk = this.chunks[0] as Uint8Array
        const take = Math.min(size - filled, chunk.length - this.offset)
        out.set(chunk.subarray(this.offset, this.offset + take), filled)
        filled += take
        this.offset += take
        if (this.offset === chunk.length) {
          this.chunks.shift()
          this.offset = 0
        }
      }
    }
    this.bytes_ -= size
    return out
  }
}
