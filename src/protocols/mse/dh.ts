/**
 * The MSE Diffie-Hellman group: the 768-bit prime P, generator 2 (the spec's values). Keys
 * are BigInts and travel as 96-byte big-endian numbers.
 *
 * Cost: every MSE connection makes each end compute G^X (its key pair) and Y^X (the secret),
 * 768-bit exponentiations with 160-bit exponents, in BigInt arithmetic (no port: it is
 * computation, and the core must run unchanged in the simulator). Plain square-and-multiply
 * took 1.4-1.8 ms each here, and a 1,000-peer simulated swarm, which opens ~40,000 connections
 * in its first virtual seconds, spent half its CPU in it. So:
 * - G^X reads a table of G^(d * 256^w) for every byte value d and byte position w of the
 *   exponent (built once per process, 5,100 products, ~0.5 MB): one product per exponent
 *   byte, 20 instead of ~240;
 * - Y^X uses a sliding window of 5 bits: ~190 products instead of ~240.
 */
import type { DhGroup, KeyAgreement } from '../../core/env.js'
import { bigIntToBytes, bytesToBigInt, modPowWindowed } from '../../core/crypto/mod-pow.js'

export { bigIntToBytes, bytesToBigInt, modPowWindowed }

export const DH_PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563',
)
export const DH_GENERATOR = 2n
/** Bytes of a public key or shared secret on the wire. */
export const DH_KEY_BYTES = 96
/** The spec asks for at least 128 bits of private key; libtorrent uses 160. */
export const DH_PRIVATE_BYTES = 20

/** Square-and-multiply, right to left: the reference the faster paths are tested against. */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n
  let b = base % modulus
  let e = exponent
  while (e > 0n) {
    if ((e & 1n) === 1n) result = (result * b) % modulus
    b = (b * b) % modulus
    e >>= 1n
  }
  return result
}

/**
 * G^(d * 256^w) mod P for exponent bytes w < DH_PRIVATE_BYTES (least significant first) and
 * byte values d = 1..255, at `[w * 255 + d - 1]`; built on first use.
 */
let generatorTable: bigint[] | undefined

function tableOfGenerator(): bigint[] {
  if (generatorTable !== undefined) return generatorTable
  const table: bigint[] = []
  let unit = DH_GENERATOR % DH_PRIME // G^(256^w)
  for (let w = 0; w < DH_PRIVATE_BYTES; w++) {
    let power = unit
    table.push(power)
    for (let d = 2; d <= 255; d++) {
      power = (power * unit) % DH_PRIME
      table.push(power)
    }
    unit = (power * unit) % DH_PRIME // G^(256 * 256^w)
  }
  generatorTable = table
  return table
}

/** G^X mod P: one table product per nonzero byte of X; the general path past 20 bytes. */
export function generatorPow(exponent: bigint): bigint {
  if (exponent < 0n || exponent >= 1n << BigInt(8 * DH_PRIVATE_BYTES)) {
    return modPowWindowed(DH_GENERATOR, exponent, DH_PRIME)
  }
  const table = tableOfGenerator()
  let result = 1n
  let e = exponent
  for (let w = 0; e > 0n; w++) {
    const d = Number(e & 0xffn)
    if (d !== 0) result = (result * (table[w * 255 + d - 1] as bigint)) % DH_PRIME
    e >>= 8n
  }
  return result
}

/** The group as the `KeyAgreement` port takes it. */
export const MSE_DH_GROUP: DhGroup = {
  prime: bigIntToBytes(DH_PRIME, DH_KEY_BYTES),
  generator: Number(DH_GENERATOR),
}

export interface DhKeyPair {
  readonly privateKey: bigint
  /** X as the private bytes it was made from (what a `KeyAgreement` port takes). */
  readonly privateBytes: Uint8Array
  /** G^X mod P, 96 bytes. */
  readonly publicKey: Uint8Array
}

export function dhKeyPair(privateBytes: Uint8Array): DhKeyPair {
  const privateKey = bytesToBigInt(privateBytes)
  const publicKey = bigIntToBytes(generatorPow(privateKey), DH_KEY_BYTES)
  return { privateKey, privateBytes, publicKey }
}

/**
 * The shared secret S from the other side's public key, or undefined for a degenerate key
 * (0, 1, P-1 or not below P), which would make S guessable.
 */
export function dhSecret(privateKey: bigint, otherPublic: Uint8Array): Uint8Array | undefined {
  const y = bytesToBigInt(otherPublic)
  if (y <= 1n || y >= DH_PRIME - 1n) return undefined
  return bigIntToBytes(modPowWindowed(y, privateKey, DH_PRIME), DH_KEY_BYTES)
}

/** `dhSecret` through a `KeyAgreement` port (OpenSSL on Node): the same range check first. */
export function dhSecretWith(
  port: KeyAgreement,
  keys: DhKeyPair,
  otherPublic: Uint8Array,
): Uint8Array | undefined {
  const y = bytesToBigInt(otherPublic)
  if (y <= 1n || y >= DH_PRIME - 1n) return undefined
  return port.dhSecret(MSE_DH_GROUP, keys.privateBytes, otherPublic)
}
