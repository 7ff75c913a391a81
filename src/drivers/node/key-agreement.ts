import { createDiffieHellman, type DiffieHellman } from 'node:crypto'
import type { DhGroup, KeyAgreement } from '../../core/env.js'

/**
 * Diffie-Hellman secrets through OpenSSL (node:crypto). A `DiffieHellman` object per group is
 * made once: making one checks the prime (about 190 ms for MSE's), after which a secret costs
 * about 0.2 ms. The object holds one private key at a time, so each call sets it first;
 * everything here is synchronous, so calls cannot interleave.
 */
export class NodeKeyAgreement implements KeyAgreement {
  private readonly groups = new Map<string, DiffieHellman>()

  dhSecret(group: DhGroup, privateKey: Uint8Array, otherPublic: Uint8Array): Uint8Array {
    const dh = this.groupOf(group)
    dh.setPrivateKey(privateKey)
    const secret = dh.computeSecret(otherPublic)
    const length = group.prime.length
    if (secret.length === length) return new Uint8Array(secret.buffer, secret.byteOffset, length)
    // A secret with leading zero bytes: keep them (the key derivation hashes all 96 bytes).
    const padded = new Uint8Array(length)
    padded.set(secret, length - secret.length)
    return padded
  }

  private groupOf(group: DhGroup): DiffieHellman {
    const key = `${Buffer.from(group.prime).toString('hex')}/${group.generator}`
    let dh = this.groups.get(key)
    if (dh === undefined) {
      dh = createDiffieHellman(group.prime, group.generator)
      this.groups.set(key, dh)
    }
    return dh
  }
}
