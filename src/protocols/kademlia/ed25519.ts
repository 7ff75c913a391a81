/**
 * Ed25519 as a port: BEP 44 mutable items are signed and verified with it. The core never
 * imports a crypto library; the node driver (`src/drivers/node/ed25519.ts`) implements it with
 * node:crypto, and tests may substitute their own.
 */
export interface Ed25519 {
  /** A 64-byte signature of `message` by the key whose 32-byte seed is `seed32`. */
  sign(seed32: Uint8Array, message: Uint8Array): Uint8Array
  verify(publicKey32: Uint8Array, message: Uint8Array, signature64: Uint8Array): boolean
  publicKeyOf(seed32: Uint8Array): Uint8Array
}
