import type { Address } from '../core/address.js'
import type { StreamCloseReason } from '../core/core.js'
import type { StreamSocket } from '../core/env.js'

/**
 * Byte transforms applied exactly once and in order: what arrives, in arrival order (before it
 * is queued), and what is written, in call order. A running keystream (MSE's RC4) needs both.
 */
export interface StreamTransforms {
  readonly read?: (bytes: Uint8Array) => Uint8Array
  readonly write?: (bytes: Uint8Array) => Uint8Array
}

/**
 * When the socket reports the far side's close: at once ('immediate', what the peer's
 * listener and MSE want), or only after every replayed and queued byte was delivered, also to
 * an `onClose` registered after the close ('after_replay': a Gnutella port hands a connection
 * that may have sent its request and closed to a relay that is still connecting).
 */
export type ReplayClosing = 'immediate' | 'after_replay'

/**
 * A stream socket whose first bytes were already read by someone else (the peer's listener
 * reads an incoming BitTorrent handshake to learn its info-hash; an MSE handshake reads the
 * initial payload): those bytes are delivered again, first, to whoever takes the socket over,
 * then everything the socket receives after, through `transforms` if given. Delivery honours
 * `pause` and never happens inside the `onData` call that registers the handler (ports never
 * call back synchronously).
 */
export class ReplaySocket implements StreamSocket {
  private readonly queued: Uint8Array[]
  private handler: ((bytes: Uint8Array, more?: boolean) => void) | undefined
  private paused = false
  private scheduled = false
  private finished = false
  /** With 'after_replay': the far side's close, held until the queue is delivered. */
  private closedWith: StreamCloseReason | undefined
  private closeHandler: ((reason: StreamCloseReason) => void) | undefined

  constructor(
    private readonly inner: StreamSocket,
    replay: readonly Uint8Array[],
    private readonly defer: (fn: () => void) => void,
    private readonly transforms: StreamTransforms = {},
    private readonly closing: ReplayClosing = 'immediate',
  ) {
    this.queued = replay.filter((bytes) => bytes.length > 0)
    const read = transforms.read
    inner.onData((received, more) => {
      const bytes = read === undefined ? received : read(received)
      // Bytes that arrive while the replay waits go behind it, in order.
      if (this.queued.length > 0 || this.handler === undefined) {
        this.queued.push(bytes)
        return this.schedule()
      }
      this.handler(bytes, more)
    })
    if (closing === 'after_replay') {
      inner.onClose((reason) => {
        this.closedWith = reason
        this.reportCloseAfterReplay()
      })
    }
  }

  get local(): Address {
    return this.inner.local
  }

  get remote(): Address {
    return this.inner.remote
  }

  write(bytes: Uint8Array): boolean {
    const write = this.transforms.write
    return this.inner.write(write === undefined ? bytes : write(bytes))
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
    if (this.closing === 'after_replay') {
      this.closeHandler = handler
      if (this.closedWith !== undefined) this.defer(() => this.reportCloseAfterReplay())
      return
    }
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
    if (this.closing === 'after_replay') this.reportCloseAfterReplay()
  }

  private reportCloseAfterReplay(): void {
    const handler = this.closeHandler
    const reason = this.closedWith
    if (handler === undefined || reason === undefined) return
    // Bytes still queued go first, unless we ended the socket ourselves (nobody reads them).
    if (this.queued.length > 0 && !this.finished) return
    this.closeHandler = undefined
    this.finished = true
    handler(reason)
  }
}
