/**
 * The network-status consensus (dir-spec §3.4.1, "ns" flavor): router status entries and the
 * authorities' signatures. A consensus counts only when more than half of the configured
 * authorities signed it with signing keys their (verified) key certificates vouch for; a
 * forged or truncated consensus is refused with the reason.
 */
import { equalBytes, utf8 } from '../../../core/bytes.js'
import { err, ok, type Result } from '../../../core/result.js'
import type { OnionCrypto } from '../crypto-port.js'
import type { DirectoryAuthority } from './authorities.js'
import { decodeBase64, hexUpper, parseDocument, type DocumentItem } from './document.js'
import type { KeyCertificate } from './key-certificate.js'
import { parseUtcTime } from './time.js'

export interface RouterStatus {
  readonly nickname: string
  /** Hex SHA-1 of the relay's RSA identity key. */
  readonly fingerprint: string
  readonly rsaIdDigest: Uint8Array
  /** Hex SHA-1 of its current server descriptor. */
  readonly descriptorDigest: string
  readonly address: string
  readonly orPort: number
  readonly dirPort: number
  readonly flags: ReadonlySet<string>
  readonly bandwidth: number
}

export interface Consensus {
  readonly validAfterMs: number
  readonly freshUntilMs: number
  readonly validUntilMs: number
  readonly routers: readonly RouterStatus[]
  /** Fingerprints (v3ident) of the authorities whose signatures verified. */
  readonly signedBy: readonly string[]
}

/** A consensus this long past valid-until is refused (tor's "reasonably live" is 24 h). */
export const CONSENSUS_LIVENESS_MS = 24 * 3600 * 1000

const DIGESTS = {
  sha1: (c: OnionCrypto, b: Uint8Array) => c.sha1(b),
  sha256: (c: OnionCrypto, b: Uint8Array) => c.sha256(b),
}

function parseRouters(items: readonly DocumentItem[]): RouterStatus[] | string {
  const routers: RouterStatus[] = []
  let current:
    | { base: Omit<RouterStatus, 'flags' | 'bandwidth'>; flags: Set<string>; bandwidth: number }
    | undefined
  const flush = () => {
    if (current !== undefined)
      routers.push({ ...current.base, flags: current.flags, bandwidth: current.bandwidth })
    current = undefined
  }
  for (const item of items) {
    if (item.keyword === 'r') {
      flush()
      const [nickname, identity, digest, , , address, orPort, dirPort] = item.args
      const id = decodeBase64(identity ?? '')
      const descriptorDigest = decodeBase64(digest ?? '')
      if (
        nickname === undefined ||
        id?.length !== 20 ||
        descriptorDigest?.length !== 20 ||
        address === undefined
      )
        return `bad router status line ${item.args.join(' ')}`
      const or = Number(orPort)
      if (!(or > 0 && or < 65536)) return `bad ORPort for ${nickname}`
      current = {
        base: {
          nickname,
          fingerprint: hexUpper(id),
          rsaIdDigest: id,
          descriptorDigest: hexUpper(descriptorDigest),
          address,
          orPort: or,
          dirPort: Number(dirPort) || 0,
        },
        flags: new Set(),
        bandwidth: 0,
      }
    } else if (current !== undefined && item.keyword === 's') current.flags = new Set(item.args)
    else if (current !== undefined && item.keyword === 'w') {
      const bandwidth = item.args.find((arg) => arg.startsWith('Bandwidth='))
      current.bandwidth = Number(bandwidth?.slice(10)) || 0
    } else if (item.keyword === 'directory-footer') flush()
  }
  flush()
  return routers
}

export function verifyConsensus(
  crypto: OnionCrypto,
  text: string,
  authorities: readonly DirectoryAuthority[],
  certificates: readonly KeyCertificate[],
  nowMs: number,
): Result<Consensus, string> {
  const items = parseDocument(text)
  if (items === undefined) return err('consensus does not parse')
  if (items[0]?.keyword !== 'network-status-version' || items[0].args[0] !== '3')
    return err('not a v3 consensus')
  if (!items.some((item) => item.keyword === 'vote-status' && item.args[0] === 'consensus'))
    return err('not a consensus')
  const time = (keyword: string) =>
    parseUtcTime(items.find((item) => item.keyword === keyword)?.args.join(' ') ?? '')
  const validAfterMs = time('valid-after')
  const freshUntilMs = time('fresh-until')
  const validUntilMs = time('valid-until')
  if (validAfterMs === undefined || freshUntilMs === undefined || validUntilMs === undefined)
    return err('consensus lifetime missing')
  if (nowMs + 3600_000 < validAfterMs) return err('consensus from the future')
  if (nowMs > validUntilMs + CONSENSUS_LIVENESS_MS) return err('consensus expired')

  const signatures = items.filter((item) => item.keyword === 'directory-signature')
  const first = signatures[0]
  if (first === undefined) return err('consensus unsigned')
  // Every signature covers the text up to and including the first "directory-signature ".
  const signed = utf8(text.slice(0, first.start + 'directory-signature '.length))
  const configured = new Set(authorities.map((authority) => authority.v3ident))
  const signedBy = new Set<string>()
  for (const signature of signatures) {
    const [algorithm, identity, signingKeyDigest] =
      signature.args.length >= 3 ? signature.args : ['sha1', ...signature.args]
    const digestOf = algorithm === 'sha1' || algorithm === 'sha256' ? DIGESTS[algorithm] : undefined
    const id = identity?.toUpperCase() ?? ''
    if (digestOf === undefined || signature.object === undefined || !configured.has(id)) continue
    const certificate = certificates.find(
      (c) => c.fingerprint === id && c.signingKeyDigest === signingKeyDigest?.toUpperCase(),
    )
    if (certificate === undefined) continue
    const recovered = crypto.rsaRecover(certificate.signingKey, signature.object.bytes)
    if (recovered !== undefined && equalBytes(recovered, digestOf(crypto, signed))) signedBy.add(id)
  }
  if (signedBy.size * 2 <= configured.size)
    return err(
      `consensus signed by ${signedBy.size} of ${configured.size} configured authorities; a majority is needed`,
    )
  const routers = parseRouters(items)
  if (typeof routers === 'string') return err(routers)
  return ok({ validAfterMs, freshUntilMs, validUntilMs, routers, signedBy: [...signedBy] })
}
