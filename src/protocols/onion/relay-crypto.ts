/**
 * One hop's relay crypto (tor-spec §6.1, §5.5): AES-128-CTR in each direction, and a running
 * SHA-1 over every relay cell that hop originates or recognizes. A cell is "recognized" when,
 * after removing a layer, `recognized` is zero and the digest field equals the first four
 * bytes of the running digest over the cell with that field zeroed. A cell altered anywhere on
 * the path fails the check at every hop and is refused.
 *
 * The same class serves both ends: the client seals with the forward keys (Df, Kf) and opens
 * with the backward keys (Db, Kb); a relay does the opposite.
 */
import type { OnionCrypto, RunningDigest, StreamCipher } from './crypto-port.js'
import type { HopKeys } from './kdf.js'
import { CELL_PAYLOAD_BYTES } from './cell.js'
import { RELAY_DIGEST_BYTES, RELAY_DIGEST_OFFSET } from './relay-cell.js'

export type CryptoRole = 'client' | 'relay'

export class HopCryptoLayer {
  private readonly outboundCipher: StreamCipher
  private readonly inboundCipher: StreamCipher
  private readonly outboundDigest: RunningDigest
  private readonly inboundDigest: RunningDigest

  constructor(crypto: OnionCrypto, keys: HopKeys, role: CryptoRole) {
    const forward = {
      cipher: crypto.aes128Ctr(keys.forwardKey),
      digest: crypto.runningSha1(keys.forwardDigest),
    }
    const backward = {
      cipher: crypto.aes128Ctr(keys.backwardKey),
      digest: crypto.runningSha1(keys.backwardDigest),
    }
    const [outbound, inbound] = role === 'client' ? [forward, backward] : [backward, forward]
    this.outboundCipher = outbound.cipher
    this.outboundDigest = outbound.digest
    this.inboundCipher = inbound.cipher
    this.inboundDigest = inbound.digest
  }

  /**
   * Stamps the digest into a plaintext relay payload (recognized and digest zero) and
   * encrypts it with this hop's layer. Returns the 20-byte running digest as well: SENDME v1
   * authenticates with it.
   */
  seal(plaintext: Uint8Array): { payload: Uint8Array; digest: Uint8Array } {
    return this.sealOwned(plaintext.slice())
  }

  /** `seal` in place: for a payload the caller made for this cell alone. */
  sealOwned(stamped: Uint8Array): { payload: Uint8Array; digest: Uint8Array } {
    stamped.fill(0, RELAY_DIGEST_OFFSET, RELAY_DIGEST_OFFSET + RELAY_DIGEST_BYTES)
    const digest = this.outboundDigest.advance(stamped)
    stamped.set(digest.subarray(0, RELAY_DIGEST_BYTES), RELAY_DIGEST_OFFSET)
    this.outboundCipher.applyInPlace(stamped)
    return { payload: stamped, digest }
  }

  /** Adds this hop's layer to a cell sealed for a hop further out (or passing back). */
  encrypt(payload: Uint8Array): Uint8Array {
    return this.outboundCipher.apply(payload)
  }

  /** `encrypt` into a buffer the caller owns. */
  encryptInPlace(payload: Uint8Array): void {
    this.outboundCipher.applyInPlace(payload)
  }

  /** Removes this hop's layer from an incoming cell. */
  decrypt(payload: Uint8Array): Uint8Array {
    return this.inboundCipher.apply(payload)
  }

  /** `decrypt` into a buffer the caller owns. */
  decryptInPlace(payload: Uint8Array): void {
    this.inboundCipher.applyInPlace(payload)
  }

  /**
   * Whether a decrypted payload is addressed to this hop. On success the running digest
   * advances and the 20-byte digest is returned; otherwise nothing changes, except with
   * `lastChance` (no hop beyond this one could take the cell: the caller closes the circuit
   * on a miss), where the digest advances either way. The digest field is zeroed in place
   * while the hash reads the cell and restored before returning.
   */
  recognize(plaintext: Uint8Array, lastChance = false): Uint8Array | undefined {
    if (plaintext[1] !== 0 || plaintext[2] !== 0) return undefined
    const at = RELAY_DIGEST_OFFSET
    const c0 = plaintext[at] as number
    const c1 = plaintext[at + 1] as number
    const c2 = plaintext[at + 2] as number
    const c3 = plaintext[at + 3] as number
    plaintext.fill(0, at, at + RELAY_DIGEST_BYTES)
    // A cell that must be ours or close the circuit needs no peek: on a mismatch the digest
    // has advanced past a cell it should not have, but the circuit is closed anyway.
    const digest = lastChance
      ? this.inboundDigest.advance(plaintext)
      : this.inboundDigest.peekWith(plaintext)
    const matches = digest[0] === c0 && digest[1] === c1 && digest[2] === c2 && digest[3] === c3
    if (matches && !lastChance) this.inboundDigest.commitPeek()
    plaintext[at] = c0
    plaintext[at + 1] = c1
    plaintext[at + 2] = c2
    plaintext[at + 3] = c3
    return matches ? digest : undefined
  }
}

/** The client's onion: seal for hop `target`, then add the layers of every hop before it. */
export function sealForHop(
  layers: readonly HopCryptoLayer[],
  target: number,
  plaintext: Uint8Array,
): { payload: Uint8Array; digest: Uint8Array } {
  const hop = layers[target]
  if (hop === undefined) throw new RangeError(`no hop ${target}`)
  const sealed = hop.seal(plaintext)
  for (let i = target - 1; i >= 0; i--) (layers[i] as HopCryptoLayer).encryptInPlace(sealed.payload)
  return sealed
}

/**
 * Peels layers off a cell coming back to the client until a hop recognizes it. Undefined
 * means no hop did: the cell was altered (or forged) and the circuit must close (the last hop's
 * digest has advanced past the cell, so it can take no further cell). The payload
 * is handed over: every layer comes off in place (the link's framer made it for this cell).
 */
export function openFromHops(
  layers: readonly HopCryptoLayer[],
  payload: Uint8Array,
): { hop: number; plaintext: Uint8Array; digest: Uint8Array } | undefined {
  const current = payload
  for (let hop = 0; hop < layers.length; hop++) {
    const layer = layers[hop] as HopCryptoLayer
    layer.decryptInPlace(current)
    const digest = layer.recognize(current, hop === layers.length - 1)
    if (digest !== undefined) return { hop, plaintext: current, digest }
  }
  return undefined
}

/** One cell of a run that a hop recognized. */
export interface OpenedCell {
  readonly hop: number
  readonly plaintext: Uint8Array
  readonly digest: Uint8Array
}

/**
 * `openFromHops` over a run of cells that arrived together (one TLS read), one layer at a
 * time: the payloads are copied into one buffer, and each layer comes off the cells still
 * unrecognized with one cipher call per stretch of consecutive cells, instead of one per cell
 * (a download's cells all reach the exit, so that is one call per layer and read). A layer's
 * keystream and digest see the same cells in the same order as cell by cell. Entries are
 * undefined for cells no hop recognized; the caller closes the circuit at the first one.
 * Plaintexts are views into the shared buffer; the input payloads are left as they were.
 */
export function openRunFromHops(
  layers: readonly HopCryptoLayer[],
  payloads: readonly Uint8Array[],
): (OpenedCell | undefined)[] {
  const size = CELL_PAYLOAD_BYTES
  const joined = new Uint8Array(payloads.length * size)
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i] as Uint8Array
    if (payload.length !== size) throw new RangeError(`relay payload of ${payload.length} bytes`)
    joined.set(payload, i * size)
  }
  const opened: (OpenedCell | undefined)[] = new Array<OpenedCell | undefined>(payloads.length)
  let pending: number[] = payloads.map((_, i) => i)
  for (let hop = 0; hop < layers.length && pending.length > 0; hop++) {
    const layer = layers[hop] as HopCryptoLayer
    for (let first = 0; first < pending.length;) {
      let last = first
      while (last + 1 < pending.length && pending[last + 1] === (pending[last] as number) + 1)
        last++
      const from = (pending[first] as number) * size
      layer.decryptInPlace(joined.subarray(from, from + (last - first + 1) * size))
      first = last + 1
    }
    const lastHop = hop === layers.length - 1
    const unrecognized: number[] = []
    for (const index of pending) {
      const plaintext = joined.subarray(index * size, (index + 1) * size)
      const digest = layer.recognize(plaintext, lastHop)
      if (digest === undefined) unrecognized.push(index)
      else opened[index] = { hop, plaintext, digest }
    }
    pending = unrecognized
  }
  return opened
}
