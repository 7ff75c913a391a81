/**
 * One relay's share of a circuit, sans-IO: the ntor server answer to CREATE2, one crypto
 * layer, the RELAY_EARLY budget, and the routing decision for every relay cell: recognized
 * here (deliver to this relay's own logic: EXTEND2, BEGIN, ...), or passed on with this
 * layer added or removed. A relay that cannot recognize a cell and has no next hop closes the
 * circuit: the cell was altered on the way.
 */
import type { RemoteFault } from '../../core/errors.js'
import type { Random } from '../../core/random.js'
import { err, ok, type Result } from '../../core/result.js'
import { CellCommand } from './cell.js'
import {
  CREATE_FAST_KEY_BYTES,
  HandshakeType,
  decodeCreate2,
  decodeCreateFast,
  encodeCreated2,
  encodeCreatedFast,
} from './control-cells.js'
import type { OnionCrypto } from './crypto-port.js'
import { RelayEarlyBudget } from './flow-control.js'
import { HOP_KEY_MATERIAL_BYTES, kdfTor, splitHopKeys } from './kdf.js'
import { ntorKeyMaterial, ntorServerRespond, type NtorRelaySecret } from './ntor.js'
import {
  decodeRelayCell,
  encodeRelayCell,
  relayPaddingBytes,
  type DecodedRelayCell,
  type RelayCell,
} from './relay-cell.js'
import { HopCryptoLayer } from './relay-crypto.js'

export type ForwardOutcome =
  | {
      readonly type: 'recognized'
      readonly cell: DecodedRelayCell
      readonly early: boolean
      /** The running digest after this cell: a circuit SENDME v1 echoes it. */
      readonly digest: Uint8Array
    }
  | { readonly type: 'pass-forward'; readonly payload: Uint8Array; readonly command: number }
  | { readonly type: 'refused'; readonly fault: RemoteFault }

export class RelayHop {
  private readonly relayEarly = new RelayEarlyBudget()
  private constructor(
    private readonly layer: HopCryptoLayer,
    private readonly random: Random,
    readonly hasNextHop: () => boolean,
  ) {}

  /**
   * Answers a CREATE2 (or the CREATE2 inside an EXTEND2). Returns the CREATED2 payload and
   * the hop, or the fault that refuses it.
   */
  static accept(
    crypto: OnionCrypto,
    random: Random,
    secret: NtorRelaySecret,
    create2Payload: Uint8Array,
    hasNextHop: () => boolean,
  ): Result<{ hop: RelayHop; created2: Uint8Array }, RemoteFault> {
    const create = decodeCreate2(create2Payload)
    if (!create.ok) return create
    if (create.value.handshakeType !== HandshakeType.NTOR)
      return err({
        code: 'unexpected_message',
        detail: `handshake type ${create.value.handshakeType}`,
      })
    const answer = ntorServerRespond(crypto, secret, create.value.handshakeData, random.bytes(32))
    if (!answer.ok) return answer
    const keys = splitHopKeys(ntorKeyMaterial(crypto, answer.value.keySeed))
    const hop = new RelayHop(new HopCryptoLayer(crypto, keys, 'relay'), random, hasNextHop)
    return ok({ hop, created2: encodeCreated2(answer.value.reply) })
  }

  /**
   * Answers a CREATE_FAST (tor-spec §5.1.3): no public-key step, the link's TLS is the only
   * protection. tor clients still send it for one-hop directory circuits to a relay whose
   * onion key they do not hold. K = KDF-TOR(X | Y); KH, then Df, Db, Kf, Kb.
   */
  static acceptFast(
    crypto: OnionCrypto,
    random: Random,
    createFastPayload: Uint8Array,
    hasNextHop: () => boolean,
  ): Result<{ hop: RelayHop; createdFast: Uint8Array }, RemoteFault> {
    const x = decodeCreateFast(createFastPayload)
    if (!x.ok) return x
    const y = random.bytes(CREATE_FAST_KEY_BYTES)
    const k0 = new Uint8Array(2 * CREATE_FAST_KEY_BYTES)
    k0.set(x.value)
    k0.set(y, CREATE_FAST_KEY_BYTES)
    const material = kdfTor(crypto, k0, 20 + HOP_KEY_MATERIAL_BYTES)
    const keys = splitHopKeys(material.subarray(20))
    const hop = new RelayHop(new HopCryptoLayer(crypto, keys, 'relay'), random, hasNextHop)
    const createdFast = encodeCreatedFast({
      keyMaterial: y,
      derivativeKeyHash: material.slice(0, 20),
    })
    return ok({ hop, createdFast })
  }

  /** A RELAY or RELAY_EARLY cell from the client's side; `payload` is handed over (decrypted in place). */
  fromClient(command: number, payload: Uint8Array): ForwardOutcome {
    const early = command === CellCommand.RELAY_EARLY
    if (early) {
      const budget = this.relayEarly.take()
      if (!budget.ok) return { type: 'refused', fault: budget.error }
    }
    // The payload is ours (a copy the link's framer made): the layer comes off in place.
    const plaintext = payload
    this.layer.decryptInPlace(plaintext)
    const digest = this.layer.recognize(plaintext)
    if (digest !== undefined) {
      const cell = decodeRelayCell(plaintext)
      return cell.ok
        ? { type: 'recognized', cell: cell.value, early, digest }
        : { type: 'refused', fault: cell.error }
    }
    if (!this.hasNextHop())
      return {
        type: 'refused',
        fault: { code: 'malformed', detail: 'unrecognized relay cell at the last hop' },
      }
    return { type: 'pass-forward', payload: plaintext, command }
  }

  /** A relay cell this relay originates toward the client. */
  toClient(cell: RelayCell): Uint8Array {
    return this.sealToClient(cell).payload
  }

  /** The same, with the running digest the client's SENDME v1 will echo. */
  sealToClient(cell: RelayCell): { payload: Uint8Array; digest: Uint8Array } {
    const padding = this.random.bytes(relayPaddingBytes(cell.data.length))
    return this.layer.sealOwned(encodeRelayCell(cell, padding))
  }

  /** A relay cell coming back from the next hop: add this layer (in place) and pass it on. */
  passBackward(payload: Uint8Array): Uint8Array {
    this.layer.encryptInPlace(payload)
    return payload
  }
}
