import { sameAddress, type Address } from '../core/address.js'
import { equalBytes, toHex } from '../core/bytes.js'
import { err, ok, type Result } from '../core/result.js'
import type { RelayDescriptor } from '../protocols/onion/directory/descriptor.js'
import {
  formatPolicyRule,
  policyOfSummary,
  summarizePolicy,
  type PolicyRule,
} from '../protocols/onion/directory/exit-policy.js'
import type { RelayIdentity } from '../protocols/onion/link-certs.js'
import { parseExitPolicy } from '../protocols/onion/directory/exit-policy.js'
import type { RecordDraft } from './service-directory.js'
import type { ServiceRecord } from './service-record.js'

/**
 * The `onion-relay` service record (service-records.md) of a plexus onion relay, both ways:
 * what a relay publishes, and what a client makes of a record it found.
 *
 * The record is signed (BEP 44) with the relay's Ed25519 *identity* key, the key its CERTS
 * chain proves on every link. A client that found an address in the DHT learns that identity
 * from the relay's CERTS, fetches the record under it, and so holds keys, address and policy
 * that the relay itself vouches for; the RSA fingerprint comes from the same CERTS chain (the
 * RSA->Ed25519 cross-certificate binds the two).
 *
 * The policy field `e` holds the exit policy in descriptor syntax (`accept 127.0.0.0/8:*,
 * reject *:*`) when it fits in 256 characters, else Tor's summary (`accept 80,443`), which
 * cannot name addresses; a reader takes either.
 */
export const ONION_POLICY_CHARS_MAX = 256

/** What the relay publishes about itself. */
export interface OnionRelayAdvert {
  readonly address: Address
  readonly ed25519Identity: Uint8Array
  readonly ntorOnionKey: Uint8Array
  readonly exitPolicy: readonly PolicyRule[]
}

/** The policy as the record carries it: full rules when they fit, else the summary. */
export function policyField(rules: readonly PolicyRule[]): string {
  const full = rules.map(formatPolicyRule).join(', ')
  if (full.length <= ONION_POLICY_CHARS_MAX) return full
  const summary = summarizePolicy(rules)
  return summary.length <= ONION_POLICY_CHARS_MAX ? summary : 'reject 1-65535'
}

/** The policy a record states, from either form; undefined when it is neither. */
export function policyOfField(text: string): PolicyRule[] | undefined {
  const summary = policyOfSummary(text)
  if (summary !== undefined) return summary
  const rules = parseExitPolicy(text)
  return rules.ok && rules.value.length > 0 ? rules.value : undefined
}

export const onionRelayDraft = (advert: OnionRelayAdvert): RecordDraft<'onion-relay'> => ({
  kind: 'onion-relay',
  address: advert.address,
  fields: {
    identityKey: advert.ed25519Identity,
    ntorOnionKey: advert.ntorOnionKey,
    exitPolicy: policyField(advert.exitPolicy),
  },
})

export type OnionRecordProblem =
  /** Signed by a key other than the Ed25519 identity the relay's CERTS proved. */
  | 'wrong_key'
  /** The record names an identity other than its signer's. */
  | 'identity_mismatch'
  /** The record names an address other than the one the relay was found and reached at. */
  | 'address_mismatch'
  | 'bad_policy'

/**
 * A verified `onion-relay` record (signature, kind, times: `ServiceDirectory.fetch`) checked
 * against the relay as reached: its CERTS identity signed it, it names that identity, and it
 * names the address the relay answered at. The result is the descriptor circuits are built
 * from: Running and Valid, a possible guard, and an exit where its policy accepts anything.
 */
export function descriptorOfRecord(
  record: ServiceRecord<'onion-relay'>,
  reached: { readonly address: Address; readonly identity: RelayIdentity },
): Result<RelayDescriptor, OnionRecordProblem> {
  const identity = reached.identity
  if (!equalBytes(record.key, identity.ed25519Identity)) return err('wrong_key')
  if (!equalBytes(record.fields.identityKey, identity.ed25519Identity)) {
    return err('identity_mismatch')
  }
  if (!sameAddress(record.address, reached.address)) return err('address_mismatch')
  const exitPolicy = policyOfField(record.fields.exitPolicy)
  if (exitPolicy === undefined) return err('bad_policy')
  const fingerprint = toHex(identity.rsaIdDigest).toUpperCase()
  const flags = new Set(['Running', 'Valid', 'Guard'])
  if (exitPolicy.some((rule) => rule.accept)) flags.add('Exit')
  return ok({
    nickname: `dht${fingerprint.slice(0, 8)}`,
    fingerprint,
    rsaIdDigest: identity.rsaIdDigest,
    address: record.address.host,
    orPort: record.address.port,
    ntorOnionKey: record.fields.ntorOnionKey,
    ed25519Identity: identity.ed25519Identity,
    exitPolicy,
    family: [],
    flags,
    bandwidth: 1,
  })
}
