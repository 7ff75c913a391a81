import type { Address } from '../../core/address.js'
import type { StreamCloseReason } from '../../core/core.js'
import type { StreamSocket } from '../../core/env.js'
import type { Rc4 } from '../../protocols/mse/index.js'

/** What the socket needs from a finished handshake (`MseResult` has it). */
export interface StreamCiphers {
  readonly encrypt: Rc4 | undefined
  readonly decrypt: Rc4 | undefined
  /** Stream bytes already received (and decrypted), delivered first. */
  readonly payload: Uint8Array
}

/**
 * A stream socket after an MSE/PE handshake: what is written is encrypted, what arrives is
 * decrypted (both are identity when the peers chose plaintext), and the stream bytes that
 * came with the handshake are delivered first. RC4 is a running keystream, so bytes must be
 * transformed exactly once and in order: writes in call order, receives in arrival order.
 * Delivery honours `pause` and never happens inside the `onData` call that registers the
 * handler (ports never call back synchronously).
 */
export class MseSocket implements StreamSocket {
  private readonly encrypt: Rc4 | undefined
  private readonly decrypt: Rc4 | undefined
  private readonly queued: Uint8Array[] = []
  private handler: ((bytes: Uint8Array, more?: boolean) => void) | undefined
  private paused = false
  private scheduled = false
  private finished = false

  constructor(
    private readonly inner: StreamSocket,
    result: StreamCiphers,
    private readonly defer: (fn: () => void) => void,
  ) {
    this.encrypt = result.encrypt
    this.decrypt = result.decrypt
    if (result.payload.length > 0) this.queued.push(result.payload)
    inner.onData((bytes, more) => {
      const clear = this.decrypt === undefined ? bytes : this.decrypt.transform(bytes)
      if (this.queued.length > 0 || this.handler === undefined) {
        this.queued.push(clear)
        return this.schedule()
      }
      this.handler(clear, more)
    })
  }

  /** 'rc4' or 'plaintext': what the handshake chose. */
  get encrypted(): boolean {
    return this.encrypt !== undefined
  }

  get local(): Address {
    return this.inner.local
  }

  get remote(): Address {
    return this.inner.remote
  }

  write(bytes: Uint8Array): boolean {
    // `transform` copies: the caller's buffer may be a cached block shared with other peers.
    return this.inner.write(this.encrypt === undefined ? bytes : this.encrypt.transform(bytes))
  }

  cork(): void {
    this.inner.cork()
  }

  uncork(): void {
    this.inner.uncork()
  }

  end(): void {
    this.finished = true
    this.inner.end()
  }

  destroy(): void {
    this.finished = true
    this.inner.destroy()
  }

  pause(): void {
    this.paused = true
    this.inner.pause()
  }

  resume(): void {
    this.paused = false
    this.inner.resume()
    this.schedule()
  }

  onData(handler: (bytes: Uint8Array, more?: boolean) => void): void {
    this.handler = handler
    this.schedule()
  }

  onDrain(handler: () => void): void {
    this.inner.onDrain(handler)
  }

  onClose(handler: (reason: StreamCloseReason) => void): void {
    this.inner.onClose((reason) => {
      this.finished = true
      handler(reason)
    })
  }

  private schedule(): void {
    if (this.scheduled || this.queued.length === 0 || this.paused || this.handler === undefined) {
      return
    }
    this.scheduled = true
    this.defer(() => {
      this.scheduled = false
      this.drain()
    })
  }

  private drain(): void {
    while (this.queued.length > 0 && !this.paused && !this.finished) {
      const handler = this.handler
      if (handler === undefined) return
      const bytes = this.queued.shift() as Uint8Array
      handler(bytes, this.queued.length > 0)
    }
  }
}
