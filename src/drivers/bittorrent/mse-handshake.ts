/**
 * Runs an MSE/PE handshake core over a connected socket, in either role, and hands back an
 * `MseSocket` for the BitTorrent stream, or the reason it failed (the socket is then
 * destroyed). The handshake has its own deadline: a peer that never answers our Ya (a
 * plaintext-only client waiting for more of "its" handshake) must not hold the connection.
 */
import type { Clock, KeyAgreement, StreamSocket } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import { err, ok, type Result } from '../../core/result.js'
import { after, seconds, type Duration } from '../../core/time.js'
import {
  allowedMethods,
  MseInitiator,
  MseResponder,
  skeyHash,
  type EncryptionPolicy,
  type Sha1,
} from '../../protocols/mse/index.js'
import { MseSocket } from './mse-socket.js'

export interface MseDriverOptions {
  readonly clock: Clock
  readonly random: Random
  readonly sha1: Sha1
  /** The DH secret's port (`env.keyAgreement`); default BigInt arithmetic. */
  readonly keyAgreement?: KeyAgreement
  /** Runs `fn` soon, outside the current call (setImmediate, or the simulator's defer). */
  readonly defer: (fn: () => void) => void
  /** Default 10 s, libtorrent's handshake timeout. */
  readonly handshakeTimeout?: Duration
}

export type MseFailure = 'timeout' | 'closed' | `mse_${string}`

const DEFAULT_HANDSHAKE_TIMEOUT = seconds(10)

/** Offers MSE on an outgoing connection to the torrent `infoHash`. */
export function initiateMse(
  socket: StreamSocket,
  infoHash: Uint8Array,
  policy: Exclude<EncryptionPolicy, 'disable'>,
  options: MseDriverOptions,
  done: (result: Result<MseSocket, MseFailure>) => void,
): void {
  const machine = new MseInitiator({
    sha1: options.sha1,
    random: options.random,
    ...(options.keyAgreement === undefined ? {} : { keyAgreement: options.keyAgreement }),
    skey: infoHash,
    provide: allowedMethods(policy),
  })
  run(socket, machine, options, done)
}

/**
 * Answers MSE on an incoming connection whose first bytes are not a plaintext BitTorrent
 * handshake. `findInfoHash` maps HASH('req2', info-hash) to one of the torrents we host.
 */
export function respondMse(
  socket: StreamSocket,
  firstBytes: readonly Uint8Array[],
  policy: Exclude<EncryptionPolicy, 'disable'>,
  findInfoHash: (req2: Uint8Array) => Uint8Array | undefined,
  options: MseDriverOptions,
  done: (result: Result<MseSocket, MseFailure>) => void,
): void {
  const machine = new MseResponder({
    sha1: options.sha1,
    random: options.random,
    ...(options.keyAgreement === undefined ? {} : { keyAgreement: options.keyAgreement }),
    allowed: allowedMethods(policy),
    findSkey: findInfoHash,
  })
  run(socket, machine, options, done, firstBytes)
}

/** A lookup from HASH('req2', info-hash) (hex) for a set of info-hashes. */
export function req2Table(sha1: Sha1, infoHashes: Iterable<Uint8Array>): Map<string, Uint8Array> {
  const table = new Map<string, Uint8Array>()
  for (const infoHash of infoHashes) table.set(hex(skeyHash(sha1, infoHash)), infoHash)
  return table
}

export const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

function run(
  socket: StreamSocket,
  machine: MseInitiator | MseResponder,
  options: MseDriverOptions,
  done: (result: Result<MseSocket, MseFailure>) => void,
  firstBytes: readonly Uint8Array[] = [],
): void {
  const { clock } = options
  let settled = false
  const settle = (result: Result<MseSocket, MseFailure>): void => {
    if (settled) return
    settled = true
    clock.clearTimer(deadline)
    if (!result.ok) socket.destroy()
    done(result)
  }
  const deadline = clock.setTimer(
    after(clock.now(), options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT),
    () => settle(err('timeout')),
  )
  const step = (): void => {
    for (const bytes of machine.takeOutbox()) if (bytes.length > 0) socket.write(bytes)
    const result = machine.result
    if (result !== undefined) return settle(ok(new MseSocket(socket, result, options.defer)))
    const error = machine.error
    if (error === undefined) return
    const failure: MseFailure = `mse_${error.code}`
    settle(err(failure))
  }
  socket.onClose(() => settle(err('closed')))
  socket.onData((bytes) => {
    if (settled) return
    machine.receive(bytes)
    step()
  })
  for (const bytes of firstBytes) machine.receive(bytes)
  step()
}
