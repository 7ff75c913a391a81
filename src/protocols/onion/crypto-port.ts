/**
 * The cryptography Tor's circuit protocol needs, as a port. Protocol code never imports
 * node:crypto; the Node driver (`src/drivers/onion/node-crypto.ts`) implements this with
 * node:crypto, and tests may substitute their own. Every method is synchronous: it is
 * computation, not I/O, and the circuit code runs it inside its own steps.
 */

/** A keystream cipher whose position advances with every call (AES-128-CTR from a zero IV). */
export interface StreamCipher {
  /** XORs the next `bytes.length` keystream bytes into a copy of `bytes`. */
  apply(bytes: Uint8Array): Uint8Array
  /**
   * The same, into `bytes` itself: the per-cell path of a circuit owns its buffers, and one
   * allocation per layer and cell was a large share of a download's garbage.
   */
  applyInPlace(bytes: Uint8Array): void
}

/**
 * A running SHA-1 (tor-spec's relay digest): every relay cell of one direction and one hop is
 * fed into it, and the digest "so far" is read without ending the hash.
 */
export interface RunningDigest {
  update(bytes: Uint8Array): void
  /** SHA-1 of everything fed so far; the hash continues. */
  current(): Uint8Array
  /**
   * `update(bytes)` then `current()` in one step: what sealing a cell needs, and what a cell
   * that must be ours or close the circuit needs (no peek to undo).
   */
  advance(bytes: Uint8Array): Uint8Array
  /**
   * SHA-1 of everything fed so far followed by `bytes`, without advancing: trying whether a
   * cell is ours costs one copy of the hash state instead of a clone and a second copy.
   */
  peekWith(bytes: Uint8Array): Uint8Array
  /** Advances by the bytes of the last `peekWith` (a cell found to be ours), hashing no more. */
  commitPeek(): void
}

/** What a parsed X.509 certificate offers the CERTS checks. */
export interface X509Facts {
  /** The subject key as PKCS#1 RSAPublicKey DER, or undefined when it is not RSA. */
  readonly rsaPublicKeyPkcs1: Uint8Array | undefined
  readonly rsaModulusBits: number
  /** Whether the certificate's signature verifies with its own subject key. */
  readonly selfSigned: boolean
  /** Validity window as Unix milliseconds. */
  readonly validFromMs: number
  readonly validToMs: number
}

export interface OnionCrypto {
  /** The Curve25519 public key of a 32-byte secret (RFC 7748 clamping applies). */
  x25519PublicKey(secret: Uint8Array): Uint8Array
  /** The 32-byte X25519 shared secret, or undefined for a low-order (all-zero) result. */
  x25519SharedSecret(secret: Uint8Array, peerPublic: Uint8Array): Uint8Array | undefined
  hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array
  sha1(bytes: Uint8Array): Uint8Array
  sha256(bytes: Uint8Array): Uint8Array
  /** A running SHA-1 seeded with `seed` (Df or Db). */
  runningSha1(seed: Uint8Array): RunningDigest
  /** AES-128 in counter mode with a zero IV: the per-hop relay cipher. */
  aes128Ctr(key: Uint8Array): StreamCipher
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
  /**
   * The digest inside an RSA PKCS#1 v1.5 signature (tor signs the bare digest, no DigestInfo),
   * or undefined when the signature does not open with `publicKeyPkcs1`.
   */
  rsaRecover(publicKeyPkcs1: Uint8Array, signature: Uint8Array): Uint8Array | undefined
  /** Facts of a DER certificate, or undefined when it does not parse. */
  x509(der: Uint8Array): X509Facts | undefined
}
