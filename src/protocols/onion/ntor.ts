/**
 * The ntor handshake (tor-spec §5.1.4) over Curve25519, HMAC-SHA256 and HKDF-SHA256.
 *
 * Client → server: ID (20, the relay's RSA identity digest) | B (32, its ntor onion key) |
 * X (32, the client's ephemeral key). Server → client: Y (32) | AUTH (32). Both sides build
 * secret_input = EXP(X,y)|EXP(X,b)|ID|B|X|Y|PROTOID; KEY_SEED = H(secret_input, t_key) and
 * the hop keys come from HKDF-Expand(KEY_SEED, m_expand). AUTH proves the server holds b.
 */
import { concatBytes, equalBytes, utf8 } from '../../core/bytes.js'
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { malformed } from './cell.js'
import type { OnionCrypto } from './crypto-port.js'
import { HOP_KEY_MATERIAL_BYTES, hkdfExpand } from './kdf.js'

const PROTOID = utf8('ntor-curve25519-sha256-1')
const T_MAC = utf8('ntor-curve25519-sha256-1:mac')
const T_KEY = utf8('ntor-curve25519-sha256-1:key_extract')
const T_VERIFY = utf8('ntor-curve25519-sha256-1:verify')
const M_EXPAND = utf8('ntor-curve25519-sha256-1:key_expand')
const SERVER = utf8('Server')

export const NTOR_ONIONSKIN_BYTES = 84
export const NTOR_REPLY_BYTES = 64

/** The relay's public half of ntor: its identity digest and Curve25519 onion key. */
export interface NtorRelayKey {
  readonly rsaIdDigest: Uint8Array
  readonly onionKey: Uint8Array
}

export interface NtorClientState {
  readonly relay: NtorRelayKey
  readonly secret: Uint8Array
  readonly publicKey: Uint8Array
}

/** `ephemeralSecret` is 32 random bytes from the caller's Random (the core draws none). */
export function ntorClientStart(
  crypto: OnionCrypto,
  relay: NtorRelayKey,
  ephemeralSecret: Uint8Array,
): { state: NtorClientState; onionskin: Uint8Array } {
  const publicKey = crypto.x25519PublicKey(ephemeralSecret)
  return {
    state: { relay, secret: ephemeralSecret, publicKey },
    onionskin: concatBytes([relay.rsaIdDigest, relay.onionKey, publicKey]),
  }
}

interface Derived {
  readonly keySeed: Uint8Array
  readonly auth: Uint8Array
}

function derive(
  crypto: OnionCrypto,
  exp1: Uint8Array,
  exp2: Uint8Array,
  relay: NtorRelayKey,
  clientKey: Uint8Array,
  serverKey: Uint8Array,
): Derived {
  const { rsaIdDigest: id, onionKey: b } = relay
  const secretInput = concatBytes([exp1, exp2, id, b, clientKey, serverKey, PROTOID])
  const keySeed = crypto.hmacSha256(T_KEY, secretInput)
  const verify = crypto.hmacSha256(T_VERIFY, secretInput)
  const authInput = concatBytes([verify, id, b, serverKey, clientKey, PROTOID, SERVER])
  return { keySeed, auth: crypto.hmacSha256(T_MAC, authInput) }
}

/** Key material for the hop: `length` bytes (72 for Df, Db, Kf, Kb). */
export const ntorKeyMaterial = (
  crypto: OnionCrypto,
  keySeed: Uint8Array,
  length = HOP_KEY_MATERIAL_BYTES,
): Uint8Array => hkdfExpand(crypto, keySeed, M_EXPAND, length)

/** Checks the server's reply; returns the key seed on success. */
export function ntorClientFinish(
  crypto: OnionCrypto,
  state: NtorClientState,
  reply: Uint8Array,
): Result<Uint8Array, RemoteFault> {
  if (reply.length < NTOR_REPLY_BYTES) return err(malformed('ntor reply too short'))
  const serverKey = reply.slice(0, 32)
  const auth = reply.slice(32, 64)
  const exp1 = crypto.x25519SharedSecret(state.secret, serverKey)
  const exp2 = crypto.x25519SharedSecret(state.secret, state.relay.onionKey)
  if (exp1 === undefined || exp2 === undefined) return err(malformed('ntor degenerate key'))
  const derived = derive(crypto, exp1, exp2, state.relay, state.publicKey, serverKey)
  if (!equalBytes(derived.auth, auth)) return err(malformed('ntor AUTH mismatch'))
  return ok(derived.keySeed)
}

/** The relay's private half: identity digest, onion key pair. */
export interface NtorRelaySecret extends NtorRelayKey {
  readonly onionSecret: Uint8Array
}

/**
 * The server side: checks that the onionskin names this relay, answers Y | AUTH and returns
 * the key seed. `ephemeralSecret` is 32 random bytes from the caller.
 */
export function ntorServerRespond(
  crypto: OnionCrypto,
  relay: NtorRelaySecret,
  onionskin: Uint8Array,
  ephemeralSecret: Uint8Array,
): Result<{ reply: Uint8Array; keySeed: Uint8Array }, RemoteFault> {
  if (onionskin.length < NTOR_ONIONSKIN_BYTES) return err(malformed('ntor onionskin too short'))
  const id = onionskin.subarray(0, 20)
  const b = onionskin.subarray(20, 52)
  const clientKey = onionskin.slice(52, 84)
  if (!equalBytes(id, relay.rsaIdDigest) || !equalBytes(b, relay.onionKey))
    return err(malformed('ntor onionskin for another relay'))
  const serverKey = crypto.x25519PublicKey(ephemeralSecret)
  const exp1 = crypto.x25519SharedSecret(ephemeralSecret, clientKey)
  const exp2 = crypto.x25519SharedSecret(relay.onionSecret, clientKey)
  if (exp1 === undefined || exp2 === undefined) return err(malformed('ntor degenerate key'))
  const derived = derive(crypto, exp1, exp2, relay, clientKey, serverKey)
  return ok({ reply: concatBytes([serverKey, derived.auth]), keySeed: derived.keySeed })
}
