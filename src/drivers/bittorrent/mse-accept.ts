/**
 * Incoming connections under an encryption policy. The first bytes tell the two kinds apart
 * as libtorrent does: a plaintext BitTorrent handshake starts with 19 and
 * "BitTorrent protocol"; anything else is taken as an MSE/PE Ya (a random 96-byte number
 * starts that way with probability 2^-160). `prefer` takes both, `require` refuses
 * plaintext, `disable` refuses MSE.
 */
import { concatBytes } from '../../core/bytes.js'
import type { StreamSocket } from '../../core/env.js'
import { after, seconds } from '../../core/time.js'
import type { EncryptionPolicy } from '../../protocols/mse/index.js'
import { respondMse, type MseDriverOptions } from './mse-handshake.js'
import { MseSocket } from './mse-socket.js'

const PROTOCOL = 'BitTorrent protocol'
/** pstrlen and pstr: enough to tell a plaintext handshake from an MSE Ya. */
export const CLASSIFY_BYTES = 1 + PROTOCOL.length

export type IncomingKind = 'plaintext' | 'encrypted' | 'undecided'

/** What a connection's first bytes are, as soon as they say it. */
export function classifyIncoming(first: Uint8Array): IncomingKind {
  if (first.length === 0) return 'undecided'
  if (first[0] !== PROTOCOL.length) return 'encrypted'
  const n = Math.min(first.length, CLASSIFY_BYTES)
  for (let i = 1; i < n; i++) {
    if (first[i] !== PROTOCOL.charCodeAt(i - 1)) return 'encrypted'
  }
  return n === CLASSIFY_BYTES ? 'plaintext' : 'undecided'
}

/** Whether the policy lets this kind in. */
export const admitsKind = (policy: EncryptionPolicy, kind: 'plaintext' | 'encrypted'): boolean =>
  kind === 'plaintext' ? policy !== 'require' : policy !== 'disable'

export interface AcceptIncomingOptions {
  readonly policy: EncryptionPolicy
  /** HASH('req2', info-hash) to the info-hash of a torrent we host, or undefined. */
  readonly findInfoHash: (req2: Uint8Array) => Uint8Array | undefined
  readonly mse: MseDriverOptions
  readonly count?: (name: string) => void
}

/**
 * Reads the first bytes of `socket`, then hands `deliver` a socket that yields the plaintext
 * BitTorrent stream from its first byte: the same bytes replayed, or the decrypted stream
 * after an MSE handshake. Refused or failed connections are destroyed.
 */
export function acceptIncoming(
  socket: StreamSocket,
  options: AcceptIncomingOptions,
  deliver: (socket: StreamSocket) => void,
): void {
  const { clock } = options.mse
  const count = options.count ?? ((): void => undefined)
  const parts: Uint8Array[] = []
  let decided = false
  const deadline = clock.setTimer(
    after(clock.now(), options.mse.handshakeTimeout ?? seconds(10)),
    () => {
      if (decided) return
      decided = true
      socket.destroy()
    },
  )
  socket.onClose(() => {
    if (decided) return
    decided = true
    clock.clearTimer(deadline)
  })
  socket.onData((bytes) => {
    if (decided) return
    parts.push(bytes)
    const kind = classifyIncoming(concatBytes(parts))
    if (kind === 'undecided') return
    decided = true
    clock.clearTimer(deadline)
    if (!admitsKind(options.policy, kind)) {
      count(`mse.in.refused.${kind}`)
      return socket.destroy()
    }
    if (kind === 'plaintext') {
      const replay = { encrypt: undefined, decrypt: undefined, payload: concatBytes(parts) }
      return deliver(new MseSocket(socket, replay, options.mse.defer))
    }
    const policy = options.policy === 'require' ? 'require' : 'prefer'
    respondMse(socket, parts, policy, options.findInfoHash, options.mse, (result) => {
      if (!result.ok) return count(`mse.in.failed.${result.error}`)
      count(result.value.encrypted ? 'mse.in.rc4' : 'mse.in.plaintext')
      deliver(result.value)
    })
  })
}
