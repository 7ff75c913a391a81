/**
 * `OnionCrypto` through node:crypto: X25519 with raw keys wrapped in their RFC 8410 DER
 * prefixes, AES-128-CTR with createCipheriv (one native call per cell and layer), running
 * SHA-1 with Hash.copy(), RSA through publicDecrypt (tor's directory signatures are PKCS#1
 * v1.5 over a bare digest).
 */
import {
  X509Certificate,
  constants,
  createCipheriv,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  publicDecrypt,
  verify,
  type Cipher,
  type Hash,
  type KeyObject,
} from 'node:crypto'
import type {
  OnionCrypto,
  RunningDigest,
  StreamCipher,
  X509Facts,
} from '../../protocols/onion/crypto-port.js'
import { JsRunningSha1 } from './running-sha1.js'

const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex')
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex')
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const ZERO_IV = Buffer.alloc(16)

const x25519Private = (secret: Uint8Array): KeyObject =>
  createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, secret]),
    format: 'der',
    type: 'pkcs8',
  })
const x25519Public = (key: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, key]), format: 'der', type: 'spki' })

class NodeRunningDigest implements RunningDigest {
  constructor(private readonly hash: Hash) {}
  update(bytes: Uint8Array): void {
    this.hash.update(bytes)
  }
  current(): Uint8Array {
    return this.hash.copy().digest()
  }
  advance(bytes: Uint8Array): Uint8Array {
    return this.hash.update(bytes).copy().digest()
  }
  private peeked: Uint8Array | undefined
  peekWith(bytes: Uint8Array): Uint8Array {
    this.peeked = bytes.slice()
    return this.hash.copy().update(bytes).digest()
  }
  commitPeek(): void {
    if (this.peeked === undefined) throw new Error('commitPeek without a peekWith')
    this.hash.update(this.peeked)
    this.peeked = undefined
  }
}

/**
 * AES-128-CTR through one node:crypto Cipher per direction and hop, kept for the circuit's
 * life: OpenSSL keeps the counter, so each call continues the keystream. Each cell goes
 * through `update` itself and the result is copied back in place. One native call per 509-byte
 * cell and layer (about 1.2 us with its Buffer) costs less than half of XORing a keystream made
 * ahead in JavaScript (about 2.6 us per cell and layer, 32 bits at a time): the XOR loop was
 * the largest single cost of a client's download (`bench/onion.ts`, docs/benchmarks.md).
 */
class NativeCtr implements StreamCipher {
  private readonly cipher: Cipher

  constructor(key: Uint8Array) {
    this.cipher = createCipheriv('aes-128-ctr', key, ZERO_IV)
  }

  apply(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(this.cipher.update(bytes))
  }

  applyInPlace(bytes: Uint8Array): void {
    if (bytes.length > 0) bytes.set(this.cipher.update(bytes))
  }
}

const allZero = (bytes: Uint8Array): boolean => bytes.every((byte) => byte === 0)

export class NodeOnionCrypto implements OnionCrypto {
  /**
   * Running digests through the JavaScript SHA-1 instead of node:crypto's Hash: kept to test
   * one against the other. node:crypto is the default: with OpenSSL's SHA-1 a cell's digest
   * (update, then a Hash copy to read it) takes about 2 us against 3.3 us in JavaScript, and a
   * peek (copy, update, digest; the cell hashed again on commit) 3.1 us against 4.1 us.
   */
  constructor(private readonly jsDigest = false) {}

  x25519PublicKey(secret: Uint8Array): Uint8Array {
    const der = createPublicKey(x25519Private(secret)).export({ format: 'der', type: 'spki' })
    return new Uint8Array(der.subarray(der.length - 32))
  }

  x25519SharedSecret(secret: Uint8Array, peerPublic: Uint8Array): Uint8Array | undefined {
    if (peerPublic.length !== 32) return undefined
    try {
      const shared = diffieHellman({
        privateKey: x25519Private(secret),
        publicKey: x25519Public(peerPublic),
      })
      return allZero(shared) ? undefined : new Uint8Array(shared)
    } catch {
      // OpenSSL refuses low-order points itself: the same outcome as an all-zero result.
      return undefined
    }
  }

  hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
    return new Uint8Array(createHmac('sha256', key).update(message).digest())
  }

  sha1(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha1').update(bytes).digest())
  }

  sha256(bytes: Uint8Array): Uint8Array {
    return new Uint8Array(createHash('sha256').update(bytes).digest())
  }

  runningSha1(seed: Uint8Array): RunningDigest {
    return this.jsDigest
      ? new JsRunningSha1(seed)
      : new NodeRunningDigest(createHash('sha1').update(seed))
  }

  aes128Ctr(key: Uint8Array): StreamCipher {
    return new NativeCtr(key)
  }

  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    if (publicKey.length !== 32 || signature.length !== 64) return false
    try {
      const key = createPublicKey({
        key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]),
        format: 'der',
        type: 'spki',
      })
      return verify(null, message, key, signature)
    } catch {
      return false
    }
  }

  rsaRecover(publicKeyPkcs1: Uint8Array, signature: Uint8Array): Uint8Array | undefined {
    try {
      const key = createPublicKey({
        key: Buffer.from(publicKeyPkcs1),
        format: 'der',
        type: 'pkcs1',
      })
      return new Uint8Array(publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, signature))
    } catch {
      return undefined
    }
  }

  x509(der: Uint8Array): X509Facts | undefined {
    try {
      const certificate = new X509Certificate(der)
      const key = certificate.publicKey
      const isRsa = key.asymmetricKeyType === 'rsa'
      return {
        rsaPublicKeyPkcs1: isRsa
          ? new Uint8Array(key.export({ format: 'der', type: 'pkcs1' }))
          : undefined,
        rsaModulusBits: isRsa ? (key.asymmetricKeyDetails?.modulusLength ?? 0) : 0,
        selfSigned: certificate.verify(key),
        validFromMs: Date.parse(certificate.validFrom),
        validToMs: Date.parse(certificate.validTo),
      }
    } catch {
      return undefined
    }
  }
}
