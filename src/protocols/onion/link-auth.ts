/**
 * AUTHENTICATE from the initiating side of a link (tor-spec §4.4.2, method 3,
 * Ed25519-SHA256-RFC5705): a relay that opens a link to another relay proves which relay it
 * is, so the responder treats the link as relay-to-relay (tor exits serve streams only on
 * such links from relays in the consensus). The body is AUTH0003 followed by hashes binding
 * both identities, both sides' handshake transcripts, the responder's TLS certificate and the
 * TLS session (an RFC 5705 exporter), then 24 random bytes and an Ed25519 signature by the
 * initiator's authentication key, which its CERTS certify (type 6, signed by its signing key).
 */
import { concatBytes } from '../../core/bytes.js'

export const AUTH_METHOD_ED25519_SHA256_RFC5705 = 3
export const AUTH0003_TYPE = new TextEncoder().encode('AUTH0003')
/** The RFC 5705 label; the context is `auth0003ExporterContext`. */
export const AUTH0003_EXPORTER_LABEL = 'EXPORTER FOR TOR TLS CLIENT BINDING AUTH0003'

/**
 * The RFC 5705 exporter's context for TLSSECRETS: CID, the SHA-256 of the initiator's RSA
 * identity key. tor-spec §4.4.2 reads "the client's Ed25519 identity key", but tor computes
 * it with `auth->cid` (relay_handshake.c, connection_or_compute_authenticate_cell_body) and
 * compares the whole body up to RAND, so CID_ED as context makes tor refuse the cell ("Some
 * field in the AUTHENTICATE cell body was not as expected").
 */
export const auth0003ExporterContext = (cid: Uint8Array): Uint8Array => cid
export const AUTH0003_RANDOM_BYTES = 24

export interface Auth0003Fields {
  /** SHA-256 of the initiator's RSA identity key (PKCS#1 DER). */
  readonly cid: Uint8Array
  /** SHA-256 of the responder's RSA identity key. */
  readonly sid: Uint8Array
  readonly cidEd: Uint8Array
  readonly sidEd: Uint8Array
  /** SHA-256 of every byte the responder sent, through its AUTH_CHALLENGE cell. */
  readonly slog: Uint8Array
  /** SHA-256 of every byte the initiator sent, through its CERTS cell. */
  readonly clog: Uint8Array
  /** SHA-256 of the responder's TLS certificate (DER). */
  readonly scert: Uint8Array
  /** 32 bytes of the TLS exporter with AUTH0003_EXPORTER_LABEL and context `cid`. */
  readonly tlsSecrets: Uint8Array
  readonly random: Uint8Array
}

/** The bytes the authentication key signs: every field before SIG. */
export function auth0003SignedPart(fields: Auth0003Fields): Uint8Array {
  const sized: [Uint8Array, number][] = [
    [fields.cid, 32],
    [fields.sid, 32],
    [fields.cidEd, 32],
    [fields.sidEd, 32],
    [fields.slog, 32],
    [fields.clog, 32],
    [fields.scert, 32],
    [fields.tlsSecrets, 32],
    [fields.random, AUTH0003_RANDOM_BYTES],
  ]
  for (const [bytes, length] of sized)
    if (bytes.length !== length) throw new RangeError(`AUTH0003 field of ${bytes.length} bytes`)
  return concatBytes([AUTH0003_TYPE, ...sized.map(([bytes]) => bytes)])
}

/** The AUTHENTICATE cell payload: AuthType (2) | AuthLen (2) | body with the signature. */
export function encodeAuthenticate(signedPart: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== 64) throw new RangeError('an Ed25519 signature has 64 bytes')
  const body = concatBytes([signedPart, signature])
  const out = new Uint8Array(4 + body.length)
  out[0] = 0
  out[1] = AUTH_METHOD_ED25519_SHA256_RFC5705
  out[2] = body.length >>> 8
  out[3] = body.length & 255
  out.set(body, 4)
  return out
}
