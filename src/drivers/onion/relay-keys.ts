/**
 * A plexus relay's keys and the CERTS it presents as a link responder (tor-spec §4.2):
 *   - RSA-1024 identity key: its SHA-1 (of the PKCS#1 public key) is the relay fingerprint;
 *     type 2 is a self-signed X.509 certificate of it;
 *   - Ed25519 identity key, cross-certified by the RSA key (type 7);
 *   - Ed25519 medium-term signing key, certified by the identity (type 4, which carries the
 *     identity in its signed-with-key extension);
 *   - the TLS link key (RSA-2048) and its self-signed certificate, whose SHA-256 the signing
 *     key certifies (type 5).
 *   - the Curve25519 ntor onion key.
 * Long-term keys persist in `<state>/onion-relay-keys.json` so the relay keeps its identity
 * across restarts; the link key and all certificates are made fresh at each start.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  privateEncrypt,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CertType, type CertEntry } from '../../protocols/onion/control-cells.js'
import type { NtorRelaySecret } from '../../protocols/onion/ntor.js'
import { NodeOnionCrypto } from './node-crypto.js'
import { selfSignedRsaCertificate } from './x509-der.js'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
const CROSS_CERT_PREFIX = Buffer.from('Tor TLS RSA/Ed25519 cross-certificate')

interface StoredKeys {
  readonly rsaIdentityPem: string
  readonly ed25519IdentityPem: string
  readonly ed25519SigningPem: string
  readonly ntorSecretHex: string
  /**
   * The legacy TAP onion key (RSA-1024). tor 0.4.9's authorities still read `onion-key` in a
   * server descriptor; files written before descriptors existed lack it, and it is added.
   */
  readonly tapOnionPem?: string
}

export interface RelayKeys {
  readonly rsaIdDigest: Uint8Array
  readonly fingerprint: string
  readonly ed25519Identity: Uint8Array
  /**
   * The Ed25519 identity's 32-byte private seed: the relay signs its `onion-relay` service
   * record with it (BEP 44), so a client that learned the identity from CERTS finds the record.
   */
  readonly ed25519IdentitySeed: Uint8Array
  readonly ntor: NtorRelaySecret
  /** The TLS key and certificate (PEM) for `tls.createServer`. */
  readonly tlsKeyPem: string
  readonly tlsCertPem: string
  readonly tlsCertDer: Uint8Array
  /** The CERTS cell body entries: types 2, 7, 4, 5. */
  readonly certs: readonly CertEntry[]
  /** What the relay presents and signs when it opens a link to the next hop. */
  readonly initiator: LinkAuthenticator
  /** The keys a server descriptor is signed with (relay-descriptor.ts). */
  readonly descriptor: DescriptorKeys
}

export interface DescriptorKeys {
  readonly rsaIdentity: KeyObject
  readonly rsaIdentityPkcs1: Uint8Array
  readonly tapOnion: KeyObject
  readonly ed25519Signing: KeyObject
  /** The identity -> signing certificate (type 4), as in CERTS. */
  readonly identityCert: Uint8Array
  readonly certExpiresMs: number
}

/**
 * The initiator's side of link authentication (tor-spec §4.4.2): CERTS of types 2, 7, 4 and 6
 * (signing key -> a fresh Ed25519 authentication key) and signatures by that key.
 */
export interface LinkAuthenticator {
  readonly certs: readonly CertEntry[]
  readonly rsaIdentityPkcs1: Uint8Array
  readonly ed25519Identity: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

const rawEd25519Public = (key: KeyObject): Uint8Array => {
  const der = createPublicKey(key).export({ format: 'der', type: 'spki' })
  return new Uint8Array(der.subarray(der.length - 32))
}

const pem = (key: KeyObject): string => key.export({ format: 'pem', type: 'pkcs8' }).toString()

const rsa1024Pem = (): string => pem(generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey)

function save(file: string, stored: StoredKeys): StoredKeys {
  writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 })
  chmodSync(file, 0o600)
  return stored
}

function loadOrCreate(stateDir: string): Required<StoredKeys> {
  const file = join(stateDir, 'onion-relay-keys.json')
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as StoredKeys
    if (stored.tapOnionPem !== undefined) return { ...stored, tapOnionPem: stored.tapOnionPem }
    const tapOnionPem = rsa1024Pem()
    save(file, { ...stored, tapOnionPem })
    return { ...stored, tapOnionPem }
  }
  mkdirSync(stateDir, { recursive: true })
  const stored = {
    rsaIdentityPem: rsa1024Pem(),
    ed25519IdentityPem: pem(generateKeyPairSync('ed25519').privateKey),
    ed25519SigningPem: pem(generateKeyPairSync('ed25519').privateKey),
    ntorSecretHex: randomBytes(32).toString('hex'),
    tapOnionPem: rsa1024Pem(),
  }
  save(file, stored)
  return stored
}

/** An Ed25519 certificate (cert-spec §2.1) with at most the signed-with-key extension. */
export function ed25519Certificate(options: {
  readonly certType: number
  readonly expiresMs: number
  readonly keyType: number
  readonly certifiedKey: Uint8Array
  readonly signer: KeyObject
  readonly includeSigner: boolean
}): Uint8Array {
  const head = Buffer.alloc(40)
  head[0] = 1
  head[1] = options.certType
  head.writeUInt32BE(Math.floor(options.expiresMs / HOUR_MS), 2)
  head[6] = options.keyType
  head.set(options.certifiedKey, 7)
  head[39] = options.includeSigner ? 1 : 0
  const extension = options.includeSigner
    ? Buffer.concat([Buffer.of(0, 32, 4, 0), rawEd25519Public(options.signer)])
    : Buffer.alloc(0)
  const signed = Buffer.concat([head, extension])
  return new Uint8Array(Buffer.concat([signed, sign(null, signed, options.signer)]))
}

/** The RSA->Ed25519 cross-certificate: tor signs the bare SHA-256 digest with PKCS#1 v1.5. */
function crossCertificate(rsa: KeyObject, edIdentity: Uint8Array, expiresMs: number): Uint8Array {
  const expiry = Buffer.alloc(4)
  expiry.writeUInt32BE(Math.floor(expiresMs / HOUR_MS))
  const digest = createHash('sha256')
    .update(CROSS_CERT_PREFIX)
    .update(edIdentity)
    .update(expiry)
    .digest()
  const signature = privateEncrypt({ key: rsa, padding: constants.RSA_PKCS1_PADDING }, digest)
  return new Uint8Array(Buffer.concat([edIdentity, expiry, Buffer.of(signature.length), signature]))
}

const toPem = (der: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END CERTIFICATE-----\n`

const randomHostname = (): string => `www.${randomBytes(6).toString('hex')}.net`

export function loadRelayKeys(stateDir: string, nowMs = Date.now()): RelayKeys {
  const stored = loadOrCreate(stateDir)
  const rsa = createPrivateKey(stored.rsaIdentityPem)
  const edIdentityKey = createPrivateKey(stored.ed25519IdentityPem)
  const edSigningKey = createPrivateKey(stored.ed25519SigningPem)
  const rsaPkcs1 = new Uint8Array(createPublicKey(rsa).export({ format: 'der', type: 'pkcs1' }))
  const rsaIdDigest = new Uint8Array(createHash('sha1').update(rsaPkcs1).digest())
  const edIdentity = rawEd25519Public(edIdentityKey)
  const onionSecret = new Uint8Array(Buffer.from(stored.ntorSecretHex, 'hex'))
  const onionKey = new NodeOnionCrypto().x25519PublicKey(onionSecret)

  const linkKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
  const notBeforeMs = nowMs - DAY_MS
  const tlsCertDer = selfSignedRsaCertificate({
    privateKey: linkKey,
    commonName: randomHostname(),
    serial: new Uint8Array(randomBytes(8)),
    notBeforeMs,
    notAfterMs: nowMs + 30 * DAY_MS,
  })
  const identityCertDer = selfSignedRsaCertificate({
    privateKey: rsa,
    commonName: randomHostname(),
    serial: new Uint8Array(randomBytes(8)),
    notBeforeMs,
    notAfterMs: nowMs + 365 * DAY_MS,
  })
  const certExpiresMs = nowMs + 30 * DAY_MS
  const identityCert = ed25519Certificate({
    certType: 4,
    expiresMs: certExpiresMs,
    keyType: 1,
    certifiedKey: rawEd25519Public(edSigningKey),
    signer: edIdentityKey,
    includeSigner: true,
  })
  const certs: CertEntry[] = [
    { type: CertType.RSA_ID_X509, body: identityCertDer },
    { type: CertType.RSA_ID_V_IDENTITY, body: crossCertificate(rsa, edIdentity, certExpiresMs) },
    { type: CertType.IDENTITY_V_SIGNING, body: identityCert },
    {
      type: CertType.SIGNING_V_TLS_CERT,
      body: ed25519Certificate({
        certType: 5,
        expiresMs: certExpiresMs,
        keyType: 3,
        certifiedKey: new Uint8Array(createHash('sha256').update(tlsCertDer).digest()),
        signer: edSigningKey,
        includeSigner: false,
      }),
    },
  ]
  // The authentication key is made fresh at each start, like the link key.
  const authKey = generateKeyPairSync('ed25519').privateKey
  const initiator: LinkAuthenticator = {
    certs: [
      ...certs.slice(0, 3),
      {
        type: CertType.SIGNING_V_AUTH,
        body: ed25519Certificate({
          certType: 6,
          expiresMs: certExpiresMs,
          keyType: 1,
          certifiedKey: rawEd25519Public(authKey),
          signer: edSigningKey,
          includeSigner: false,
        }),
      },
    ],
    rsaIdentityPkcs1: rsaPkcs1,
    ed25519Identity: edIdentity,
    sign: (message) => new Uint8Array(sign(null, message, authKey)),
  }
  return {
    initiator,
    descriptor: {
      rsaIdentity: rsa,
      rsaIdentityPkcs1: rsaPkcs1,
      tapOnion: createPrivateKey(stored.tapOnionPem),
      ed25519Signing: edSigningKey,
      identityCert,
      certExpiresMs,
    },
    rsaIdDigest,
    fingerprint: Buffer.from(rsaIdDigest).toString('hex').toUpperCase(),
    ed25519Identity: edIdentity,
    // PKCS#8 of an Ed25519 key (RFC 8410) ends with the 32-byte seed.
    ed25519IdentitySeed: new Uint8Array(
      edIdentityKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32),
    ),
    ntor: { rsaIdDigest, onionKey, onionSecret },
    tlsKeyPem: linkKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    tlsCertPem: toPem(tlsCertDer),
    tlsCertDer,
    certs,
  }
}
