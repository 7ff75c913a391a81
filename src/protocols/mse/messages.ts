/**
 * MSE/PE constants and the pieces every step builds from: the hashes that name the stream
 * and the torrent, the RC4 keys, and the crypto method bits.
 */
import { concatBytes, utf8 } from '../../core/bytes.js'
import { Rc4 } from './rc4.js'

export type Sha1 = (parts: readonly Uint8Array[]) => Uint8Array

/** `crypto_provide` / `crypto_select` bits. */
export const CRYPTO_PLAINTEXT = 0x01
export const CRYPTO_RC4 = 0x02
export type CryptoMethod = 'plaintext' | 'rc4'

/** Verification constant: 8 zero bytes, encrypted; finding it syncs the initiator. */
export const VC_BYTES = 8
/** PadA, PadB, PadC and PadD are each at most this long. */
export const PAD_BYTES_MAX = 512
/**
 * The longest initial payload (IA) we take. libtorrent takes 68 (a BitTorrent handshake)
 * and sends exactly that; a little more leaves room for clients that send a bitfield too,
 * and still bounds what an unauthenticated peer can make us buffer.
 */
export const IA_BYTES_MAX = 1024
/** RC4's weak first bytes are thrown away (the spec's "RC4-drop1024"). */
export const RC4_DISCARD_BYTES = 1024
export const HASH_BYTES = 20

/**
 * Encryption policy, with libtorrent's meaning: `prefer` tries MSE on outgoing connections
 * and falls back to plaintext, and takes both kinds incoming; `require` speaks only MSE with
 * RC4; `disable` speaks only plaintext BitTorrent.
 */
export type EncryptionPolicy = 'prefer' | 'require' | 'disable'
export const ENCRYPTION_POLICIES: readonly EncryptionPolicy[] = ['prefer', 'require', 'disable']

export const isEncryptionPolicy = (value: string): value is EncryptionPolicy =>
  (ENCRYPTION_POLICIES as readonly string[]).includes(value)

/** The methods we offer (initiator) or accept (responder) under a policy. */
export function allowedMethods(policy: EncryptionPolicy): number {
  return policy === 'require' ? CRYPTO_RC4 : CRYPTO_RC4 | CRYPTO_PLAINTEXT
}

export const hashOf = (sha1: Sha1, label: string, ...parts: Uint8Array[]): Uint8Array =>
  sha1([utf8(label), ...parts])

/** HASH('req2', SKEY): what a responder keeps per torrent to recognise it. */
export const skeyHash = (sha1: Sha1, skey: Uint8Array): Uint8Array => hashOf(sha1, 'req2', skey)

/** The RC4 stream keyed `HASH(label, S, SKEY)`, its first 1024 bytes discarded. */
export const streamCipher = (sha1: Sha1, label: 'keyA' | 'keyB', s: Uint8Array, skey: Uint8Array) =>
  new Rc4(hashOf(sha1, label, s, skey), RC4_DISCARD_BYTES)

export function xorBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) ^ (b[i] as number)
  return out
}

/** Index of `needle` in `haystack` at or after `from`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const last = haystack.length - needle.length
  outer: for (let i = from; i <= last; i++) {
    for (let k = 0; k < needle.length; k++) {
      if (haystack[i + k] !== needle[k]) continue outer
    }
    return i
  }
  return -1
}

export { concatBytes }
