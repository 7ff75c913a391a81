/**
 * A plexus relay's server descriptor (dir-spec §2.1.1), the document that gets a relay listed
 * by tor's directory authorities, and its upload (dir-spec §3.1: HTTP POST /tor/ to each
 * authority's DirPort). The items are those tor 0.4.9 itself publishes, in its order, minus
 * what plexus does not serve: `tunnelled-dir-server` only when the relay answers BEGIN_DIR, no
 * `hidden-service-dir`, no extra-info. Signatures (checked by `verifyServerDescriptor`, which
 * accepts tor's own descriptors):
 *   - `identity-ed25519`: the identity -> signing certificate the relay shows in CERTS;
 *   - `onion-key-crosscert`: the TAP onion key signs SHA-1(RSA identity) | Ed25519 identity;
 *   - `ntor-onion-key-crosscert`: a type-10 certificate of the Ed25519 identity signed by the
 *     Ed25519 key whose secret scalar is the clamped Curve25519 onion secret (tor's
 *     `ed25519_keypair_from_curve25519_keypair`); OpenSSL signs only from seeds, so this one
 *     signature uses the plain-TypeScript Ed25519 of `core/crypto/ed25519.ts`;
 *   - `router-sig-ed25519`: the signing key over SHA-256 of the prefix and the text so far;
 *   - `router-signature`: the RSA identity over SHA-1 of the text (PKCS#1 v1.5, bare digest).
 */
import {
  constants,
  createHash,
  createPublicKey,
  privateEncrypt,
  sign,
  type KeyObject,
} from 'node:crypto'
import { request } from 'node:http'
import { signExpanded, expandedPublicKey } from '../../core/crypto/ed25519.js'
import { encodeBase64, hexUpper } from '../../protocols/onion/directory/document.js'
import { formatPolicyRule, type PolicyRule } from '../../protocols/onion/directory/exit-policy.js'
import {
  CERT_NTOR_ONION_KEY,
  ED25519_DESCRIPTOR_PREFIX,
} from '../../protocols/onion/directory/server-descriptor-verify.js'
import type { RelayKeys } from './relay-keys.js'

const HOUR_MS = 3_600_000
const DERIVE_PREFIX = Buffer.from('Derive high part of ed25519 key from curve25519 key\0')

/**
 * What this relay claims to speak (dir-spec §2.1.1 `proto`, tor-spec §9). Relay=2 only: ntor
 * and EXTEND2, not ntor v3 (Relay=4), so tor never sends this relay a CREATE2 of type 3.
 */
export const PLEXUS_PROTOCOLS = 'Cons=1-2 Desc=1-2 Link=4-5 LinkAuth=3 Microdesc=1-2 Relay=2'

export interface DescriptorOptions {
  readonly nickname: string
  readonly address: string
  readonly orPort: number
  readonly exitPolicy: readonly PolicyRule[]
  /** Bytes per second: average, burst, observed (tor weighs relays by the last). */
  readonly bandwidth: number
  readonly publishedMs: number
  readonly uptimeSeconds?: number
  readonly platform?: string
  readonly protocols?: string
  readonly contact?: string
  /** The relay answers BEGIN_DIR (tunnelled directory requests): authorities vote it V2Dir. */
  readonly tunnelledDirServer?: boolean
}

const pemBlock = (type: string, bytes: Uint8Array): string =>
  `-----BEGIN ${type}-----\n${(
    Buffer.from(bytes)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${type}-----\n`

const unpadded = (bytes: Uint8Array): string => encodeBase64(bytes).replace(/=+$/, '')

const torTime = (ms: number): string =>
  new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('T', ' ').replace('.000Z', '')

/** The Ed25519 key tor derives from a Curve25519 onion secret, and its public key's sign bit. */
export function onionEd25519Key(onionSecret: Uint8Array): {
  readonly scalar: Uint8Array
  readonly prefix: Uint8Array
  readonly publicKey: Uint8Array
  readonly signBit: number
} {
  const scalar = new Uint8Array(onionSecret)
  scalar[0] = (scalar[0] as number) & 248
  scalar[31] = ((scalar[31] as number) & 127) | 64
  const prefix = new Uint8Array(
    createHash('sha512').update(scalar).update(DERIVE_PREFIX).digest().subarray(0, 32),
  )
  const publicKey = expandedPublicKey({ scalar, prefix })
  return { scalar, prefix, publicKey, signBit: (publicKey[31] as number) >> 7 }
}

/** cert-spec §2.1: version 1, the type, expiry in hours, key type 1, the key, no extension. */
function ntorCrossCertificate(
  keys: RelayKeys,
  expiresMs: number,
): {
  cert: Uint8Array
  signBit: number
} {
  const onionKey = onionEd25519Key(keys.ntor.onionSecret)
  const body = Buffer.alloc(40)
  body[0] = 1
  body[1] = CERT_NTOR_ONION_KEY
  body.writeUInt32BE(Math.floor(expiresMs / HOUR_MS), 2)
  body[6] = 1
  body.set(keys.ed25519Identity, 7)
  body[39] = 0
  const signature = signExpanded(onionKey, body)
  return { cert: new Uint8Array(Buffer.concat([body, signature])), signBit: onionKey.signBit }
}

/** PKCS#1 v1.5 signature of bare bytes (no DigestInfo), as tor's `crypto_pk_private_sign`. */
const rsaSignDigest = (key: KeyObject, digest: Uint8Array): Uint8Array =>
  new Uint8Array(privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, digest))

export function serverDescriptor(keys: RelayKeys, options: DescriptorOptions): string {
  const d = keys.descriptor
  const tapPublic = new Uint8Array(
    createPublicKey(d.tapOnion).export({ format: 'der', type: 'pkcs1' }),
  )
  const tapCross = rsaSignDigest(
    d.tapOnion,
    Buffer.concat([keys.rsaIdDigest, keys.ed25519Identity]),
  )
  const ntorCross = ntorCrossCertificate(keys, d.certExpiresMs)
  const rules = options.exitPolicy.map(formatPolicyRule)
  const last = options.exitPolicy.at(-1)
  // A policy must say what happens to everything else; tor's own end with a catch-all.
  if (last === undefined || last.prefix !== 0 || last.ports[0] !== 1 || last.ports[1] !== 65535)
    rules.push('reject *:*')
  const fingerprint = (hexUpper(keys.rsaIdDigest).match(/.{4}/g) ?? []).join(' ')
  const bw = options.bandwidth
  const body =
    `router ${options.nickname} ${options.address} ${options.orPort} 0 0\n` +
    `identity-ed25519\n${pemBlock('ED25519 CERT', d.identityCert)}` +
    `master-key-ed25519 ${unpadded(keys.ed25519Identity)}\n` +
    `platform ${options.platform ?? 'Plexus 0.1.0 on Node.js'}\n` +
    `proto ${options.protocols ?? PLEXUS_PROTOCOLS}\n` +
    `published ${torTime(options.publishedMs)}\n` +
    `fingerprint ${fingerprint}\n` +
    `uptime ${options.uptimeSeconds ?? 0}\n` +
    `bandwidth ${bw} ${bw} ${bw}\n` +
    `onion-key\n${pemBlock('RSA PUBLIC KEY', tapPublic)}` +
    `signing-key\n${pemBlock('RSA PUBLIC KEY', d.rsaIdentityPkcs1)}` +
    `onion-key-crosscert\n${pemBlock('CROSSCERT', tapCross)}` +
    `ntor-onion-key-crosscert ${ntorCross.signBit}\n${pemBlock('ED25519 CERT', ntorCross.cert)}` +
    (options.contact === undefined ? '' : `contact ${options.contact}\n`) +
    `ntor-onion-key ${unpadded(keys.ntor.onionKey)}\n` +
    rules.map((rule) => `${rule}\n`).join('') +
    (options.tunnelledDirServer === true ? 'tunnelled-dir-server\n' : '') +
    'router-sig-ed25519 '
  const edDigest = createHash('sha256').update(ED25519_DESCRIPTOR_PREFIX).update(body).digest()
  const edSignature = new Uint8Array(sign(null, edDigest, d.ed25519Signing))
  const signed = `${body}${unpadded(edSignature)}\nrouter-signature\n`
  const rsaSignature = rsaSignDigest(d.rsaIdentity, createHash('sha1').update(signed).digest())
  return `${signed}${pemBlock('SIGNATURE', rsaSignature)}`
}

export interface UploadAnswer {
  readonly dirPort: number
  readonly status: number
  /** The authority's reason line (HTTP status text), e.g. why a descriptor was refused. */
  readonly reason: string
}

/** POSTs the descriptor to one authority's DirPort (dir-spec §3.1); never throws. */
export function uploadDescriptor(
  host: string,
  dirPort: number,
  descriptor: string,
  timeoutMs = 10_000,
): Promise<UploadAnswer> {
  return new Promise((resolve) => {
    const body = Buffer.from(descriptor)
    const post = request(
      {
        host,
        port: dirPort,
        method: 'POST',
        path: '/tor/',
        headers: { 'Content-Length': body.length },
        timeout: timeoutMs,
      },
      (response) => {
        response.resume()
        response.on('end', () =>
          resolve({
            dirPort,
            status: response.statusCode ?? 0,
            reason: response.statusMessage ?? '',
          }),
        )
      },
    )
    post.on('error', (error) => resolve({ dirPort, status: 0, reason: error.message }))
    post.on('timeout', () => post.destroy(new Error('timed out')))
    post.end(body)
  })
}

/**
 * Builds this relay's descriptor now and uploads it to every authority (tor relays republish
 * at least every 18 hours and whenever something in it changes; a test network's consensus
 * lists a relay as long as its descriptor is fresh).
 */
export async function publishDescriptor(
  keys: RelayKeys,
  options: Omit<DescriptorOptions, 'publishedMs'>,
  authorities: readonly { readonly host: string; readonly dirPort: number }[],
  nowMs = Date.now(),
): Promise<{ readonly descriptor: string; readonly answers: readonly UploadAnswer[] }> {
  const descriptor = serverDescriptor(keys, { ...options, publishedMs: nowMs })
  const answers = await Promise.all(
    authorities.map((authority) => uploadDescriptor(authority.host, authority.dirPort, descriptor)),
  )
  return { descriptor, answers }
}
