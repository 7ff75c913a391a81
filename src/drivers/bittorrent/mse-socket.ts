import type { StreamSocket } from '../../core/env.js'
import type { Rc4 } from '../../protocols/mse/index.js'
import { ReplaySocket } from '../replay-socket.js'

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
 * transformed exactly once and in order, which `ReplaySocket`'s transforms guarantee. The
 * write transform copies: the caller's buffer may be a cached block shared with other peers.
 */
export class MseSocket extends ReplaySocket {
  /** Whether the handshake chose RC4 (else plaintext). */
  readonly encrypted: boolean

  constructor(inner: StreamSocket, result: StreamCiphers, defer: (fn: () => void) => void) {
    const { encrypt, decrypt } = result
    super(inner, [result.payload], defer, {
      ...(decrypt === undefined ? {} : { read: (bytes: Uint8Array) => decrypt.transform(bytes) }),
      ...(encrypt === undefined ? {} : { write: (bytes: Uint8Array) => encrypt.transform(bytes) }),
    })
    this.encrypted = encrypt !== undefined
  }
}
