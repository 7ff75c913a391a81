/**
 * `OnionCrypto` through node:crypto: X25519 with raw keys wrapped in their RFC 8410 DER
 * prefixes, AES-128-CTR with createCipheriv (keystream made ahead, XORed in place), running SHA-1 with Hash.copy(), RSA through
 * publicDecrypt (tor's directory signatures are PKCS#1 v1.5 over a bare digest).
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
 * Keystream bytes made this many at a time: AES-CTR's keystream does not depend on the data,
 * so one native call serves about 16 cells, and the XOR runs in place in JavaScript. A native
 * call per 509-byte cell and layer (plus the Buffer it returns) cost more than the AES itself.
 */
const KEYSTREAM_CHUNK_BYTES = 8192
const ZERO_CHUNK = Buffer.alloc(KEYSTREAM_CHUNK_BYTES)

/** The platform's byte order, so DataView reads agree with Int32Array views. */
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/**
 * XORs `count` keystream bytes from `keystream[from]` into `bytes[at]`. Where the target is
 * 4-byte aligned, 32 bits at a time (the keystream read through a DataView at any offset):
 * a third of the byte loop's cost over a 509-byte cell.
 */
function xorKeystream(
  bytes: Uint8Array,
  at: number,
  keystream: Uint8Array,
  keyView: DataView,
  from: number,
  count: number,
): void {
  let i = 0
  if (((bytes.byteOffset + at) & 3) === 0 && count >= 16) {
    const words = count >>> 2
    const target = new Int32Array(bytes.buffer, bytes.byteOffset + at, words)
    for (let w = 0; w < words; w++)
      target[w] = (target[w] as number) ^ keyView.getInt32(from + 4 * w, LITTLE_ENDIAN)
    i = words << 2
  }
  for (; i < count; i++) bytes[at + i] = (bytes[at + i] as number) ^ (keystream[from + i] as number)
}

class CtrKeystream implements StreamCipher {
  private readonly cipher: Cipher
  private keystream: Uint8Array = new Uint8Array(0)
  private keyView: DataView = new DataView(new ArrayBuffer(0))
  private position = 0

  constructor(key: Uint8Array) {
    this.cipher = createCipheriv('aes-128-ctr', key, ZERO_IV)
  }

  apply(bytes: Uint8Array): Uint8Array {
    const out = bytes.slice()
    this.applyInPlace(out)
    return out
  }

  applyInPlace(bytes: Uint8Array): void {
    let done = 0
    while (done < bytes.length) {
      if (this.position === this.keystream.length) {
        this.keystream = this.cipher.update(ZERO_CHUNK)
        this.keyView = new DataView(
          this.keystream.buffer,
          this.keystream.byteOffset,
          this.keystream.length,
        )
        this.position = 0
      }
      const count = Math.min(bytes.length - done, this.keystream.length - this.position)
      xorKeystream(bytes, done, this.keystream, this.keyView, this.position, count)
      done += count
      this.position += count
    }
  }
}

const allZero = (bytes: Uint8Array): boolean => bytes.every((byte) => byte === 0)

export class NodeOnionCrypto implements OnionCrypto {
  /**
   * Running digests through node:crypto's Hash instead of the JavaScript SHA-1 (which peeks
   * and commits without a Hash copy per cell): kept to test one against the other.
   */
  constructor(private readonly nativeDigest = false) {}

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
    return this.nativeDigest
      ? new NodeRunningDigest(createHash('sha1').update(seed))
      : new JsRunningSha1(seed)
  }

  aes128Ctr(key: Uint8Array): StreamCipher {
    return new CtrKeystream(key)
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
