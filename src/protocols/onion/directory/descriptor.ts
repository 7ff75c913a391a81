/**
 * Server descriptors (dir-spec §2.1.1), fetched in full because microdescriptor policy
 * summaries leave out private addresses. A descriptor is taken only when its SHA-1 (over
 * "router " through "router-signature\n") is the digest the verified consensus lists for the
 * relay, and its RSA signature by the relay's signing key verifies; so a forged or altered
 * descriptor is refused.
 */
import { equalBytes, utf8 } from '../../../core/bytes.js'
import type { OnionCrypto } from '../crypto-port.js'
import type { Consensus } from './consensus.js'
import { decodeBase64, hexUpper, parseDocument } from './document.js'
import { parsePolicyRule, type PolicyRule } from './exit-policy.js'

export interface RelayDescriptor {
  readonly nickname: string
  readonly fingerprint: string
  readonly rsaIdDigest: Uint8Array
  readonly address: string
  readonly orPort: number
  readonly ntorOnionKey: Uint8Array
  readonly ed25519Identity: Uint8Array | undefined
  readonly exitPolicy: readonly PolicyRule[]
  /** Fingerprints (hex, without $) and nicknames the relay declares as its family. */
  readonly family: readonly string[]
  readonly flags: ReadonlySet<string>
  readonly bandwidth: number
}

export function verifyDescriptors(
  crypto: OnionCrypto,
  text: string,
  consensus: Consensus,
): { relays: RelayDescriptor[]; refused: string[] } {
  const byDigest = new Map(consensus.routers.map((router) => [router.descriptorDigest, router]))
  const relays: RelayDescriptor[] = []
  const refused: string[] = []
  const starts = [...text.matchAll(/^router /gm)].map((match) => match.index)
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] as number
    const sigKeyword = text.indexOf('\nrouter-signature\n', start)
    if (sigKeyword < 0) {
      refused.push('descriptor without router-signature')
      continue
    }
    const signedEnd = sigKeyword + '\nrouter-signature\n'.length
    const end = starts[i + 1] ?? text.length
    const signedBytes = utf8(text.slice(start, signedEnd))
    const digest = hexUpper(crypto.sha1(signedBytes))
    const router = byDigest.get(digest)
    if (router === undefined) {
      refused.push(`descriptor ${digest} not in the consensus`)
      continue
    }
    const relay = parseDescriptor(crypto, text.slice(start, end), signedBytes, router)
    if (typeof relay === 'string') refused.push(`${router.nickname}: ${relay}`)
    else relays.push(relay)
  }
  return { relays, refused }
}

function parseDescriptor(
  crypto: OnionCrypto,
  text: string,
  signedBytes: Uint8Array,
  router: Consensus['routers'][number],
): RelayDescriptor | string {
  const items = parseDocument(text)
  if (items === undefined) return 'does not parse'
  const find = (keyword: string) => items.find((item) => item.keyword === keyword)
  const signingKey = find('signing-key')?.object?.bytes
  const signature = find('router-signature')?.object?.bytes
  if (signingKey === undefined || signature === undefined) return 'unsigned'
  if (hexUpper(crypto.sha1(signingKey)) !== router.fingerprint)
    return 'signing key is not the listed identity'
  const recovered = crypto.rsaRecover(signingKey, signature)
  if (recovered === undefined || !equalBytes(recovered, crypto.sha1(signedBytes)))
    return 'bad signature'
  const ntor = decodeBase64(find('ntor-onion-key')?.args[0] ?? '')
  if (ntor?.length !== 32) return 'no ntor onion key'
  const ed = decodeBase64(find('master-key-ed25519')?.args[0] ?? '')
  const exitPolicy: PolicyRule[] = []
  for (const item of items) {
    if (item.keyword !== 'accept' && item.keyword !== 'reject') continue
    const rule = parsePolicyRule(item.keyword, item.args[0] ?? '')
    if (rule !== undefined) exitPolicy.push(rule)
  }
  const family = (find('family')?.args ?? []).map(
    (member) => member.replace(/^\$/, '').split(/[=~]/)[0]?.toUpperCase() ?? '',
  )
  return {
    nickname: router.nickname,
    fingerprint: router.fingerprint,
    rsaIdDigest: router.rsaIdDigest,
    address: router.address,
    orPort: router.orPort,
    ntorOnionKey: ntor,
    ed25519Identity: ed?.length === 32 ? ed : undefined,
    exitPolicy,
    family,
    flags: router.flags,
    bandwidth: router.bandwidth,
  }
}
