/**
 * The MSE Diffie-Hellman group: the 768-bit prime P, generator 2 (the spec's values). Keys
 * are BigInts and travel as 96-byte big-endian numbers. BigInt exponentiation of a 160-bit
 * private exponent takes well under a millisecond, so no Env port is needed for it.
 */
export const DH_PRIME = BigInt(
  '0xFFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A36210000000000090563',
)
export const DH_GENERATOR = 2n
/** Bytes of a public key or shared secret on the wire. */
export const DH_KEY_BYTES = 96
/** The spec asks for at least 128 bits of private key; libtorrent uses 160. */
export const DH_PRIVATE_BYTES = 20

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

export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}

/** Big-endian, left-padded with zeros to `length` bytes (a short secret keeps its zeros). */
export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let v = value
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

export interface DhKeyPair {
  readonly privateKey: bigint
  /** G^X mod P, 96 bytes. */
  readonly publicKey: Uint8Array
}

export function dhKeyPair(privateBytes: Uint8Array): DhKeyPair {
  const privateKey = bytesToBigInt(privateBytes)
  const publicKey = bigIntToBytes(modPow(DH_GENERATOR, privateKey, DH_PRIME), DH_KEY_BYTES)
  return { privateKey, publicKey }
}

/**
 * The shared secret S from the other side's public key, or undefined for a degenerate key
 * (0, 1, P-1 or not below P), which would make S guessable.
 */
export function dhSecret(privateKey: bigint, otherPublic: Uint8Array): Uint8Array | undefined {
  const y = bytesToBigInt(otherPublic)
  if (y <= 1n || y >= DH_PRIME - 1n) return undefined
  return bigIntToBytes(modPow(y, privateKey, DH_PRIME), DH_KEY_BYTES)
}
