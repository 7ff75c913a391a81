import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { BigIntKeyAgreement } from '../../core/crypto/mod-pow.js'
import {
  DH_PRIME,
  dhKeyPair,
  dhSecret,
  dhSecretWith,
  MSE_DH_GROUP,
} from '../../protocols/mse/dh.js'
import { bigIntToBytes } from '../../core/crypto/mod-pow.js'
import { NodeKeyAgreement } from './key-agreement.js'

const node = new NodeKeyAgreement()
const reference = new BigIntKeyAgreement()
const privateBytes = fc.uint8Array({ minLength: 20, maxLength: 20 })

describe('NodeKeyAgreement (OpenSSL) against BigInt arithmetic', () => {
  it('gives the same 96-byte MSE secret for any pair of keys', () => {
    fc.assert(
      fc.property(privateBytes, privateBytes, (x, y) => {
        const ours = dhKeyPair(x)
        const theirs = dhKeyPair(y)
        const viaNode = dhSecretWith(node, ours, theirs.publicKey)
        assert.ok(viaNode !== undefined)
        assert.equal(viaNode.length, 96)
        assert.deepEqual([...viaNode], [...(dhSecret(ours.privateKey, theirs.publicKey) ?? [])])
        // both ends agree, whichever port each uses
        assert.deepEqual(
          [...viaNode],
          [...reference.dhSecret(MSE_DH_GROUP, theirs.privateBytes, ours.publicKey)],
        )
      }),
      { numRuns: 60 },
    )
  })

  it('keeps leading zero bytes of a short secret', () => {
    // other = 2^8 with x = 1 gives 256: a secret of 94 zero bytes then 0x01 0x00.
    const x = new Uint8Array(20)
    x[19] = 1
    const other = bigIntToBytes(256n, 96)
    const secret = node.dhSecret(MSE_DH_GROUP, x, other)
    assert.equal(secret.length, 96)
    assert.deepEqual([...secret.subarray(94)], [1, 0])
    assert.ok(secret.subarray(0, 94).every((b) => b === 0))
  })

  it('refuses the degenerate public keys before the port is asked', () => {
    const keys = dhKeyPair(new Uint8Array(20).fill(7))
    for (const y of [0n, 1n, DH_PRIME - 1n]) {
      assert.equal(dhSecretWith(node, keys, bigIntToBytes(y, 96)), undefined)
    }
  })
})
