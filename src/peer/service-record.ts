import { isIPv4, isValidPort, type Address } from '../core/address.js'
import { equalBytes, utf8 } from '../core/bytes.js'
import {
  decode,
  dictGetBytes,
  dictGetDict,
  dictGetInt,
  dictGetList,
  dictGetString,
  encode,
  isBBytes,
  isBDict,
  type BDict,
  type BValue,
} from '../core/codec/bencode.js'
import { readCompactPeer, writeCompactPeer } from '../core/compact-peers.js'
import type { Hashing, Signing } from '../core/env.js'
import type { Id160 } from '../core/id.js'
import { err, ok, type Result } from '../core/result.js'
import { mutableTarget, signedBytes, ITEM_VALUE_BYTES_MAX } from '../protocols/kademlia/items.js'

/**
 * Service records: what a peer offers, signed with its ed25519 key so that the record proves
 * itself wherever it was found. Discovery is plain Mainline DHT: the advertiser announces
 * (announce_peer) under the well-known info-hash of its service kind, and stores the details
 * as a BEP 44 mutable item under its own key with the kind as salt. The item's signature is
 * the record's signature, `seq` its issue time (unix seconds, so a refresh always wins), and
 * the value carries an expiry the reader checks against its own clock.
 *
 * Value (bencoded dictionary): `v` version 1, `k` kind, `a` compact IPv4 address (6 bytes),
 * `i` issued and `x` expires (unix seconds), `f` the kind's fields.
 */
export type ServiceKind = 'relay' | 'reachable' | 'onion-relay'
export const SERVICE_KINDS: readonly ServiceKind[] = ['relay', 'reachable', 'onion-relay']

/**
 * TURN long-term credentials (RFC 8656) that anyone holding the record may use, until the
 * time in the username (the TURN REST API's form, `<expiry unix seconds>:<label>`, as coturn's
 * `use-auth-secret`): the relay's limits per IP, not the secrecy of the password, protect it.
 */
export interface TurnCredentials {
  readonly realm: string
  readonly username: string
  readonly password: string
}

export type RelayProtocol = 'relay-lite' | 'turn'
export const RELAY_PROTOCOLS: readonly RelayProtocol[] = ['relay-lite', 'turn']

/** A relay (supernode): where to reserve, and the limits it keeps. */
export interface RelayFields {
  /** The relay protocol at `address`: plexus's relay-lite (relay-codec.ts) or TURN. */
  readonly protocol: RelayProtocol
  readonly allocationsMax: number
  readonly allocationsPerIpMax: number
  /** Seconds a reservation lives without a refresh. */
  readonly lifetimeSec: number
  /** How long the relay had been up when it signed this. */
  readonly uptimeSec: number
  /** TURN only (and required there): the credentials to allocate with. */
  readonly credentials?: TurnCredentials
}

/** One relay a NATed peer is reached through. */
export interface ReachableVia {
  /** The relay's control address (where a relayed candidate is allocated). */
  readonly relay: Address
  /** The reservation's public address: a stranger's first datagram goes there. */
  readonly mailbox: Address
  /**
   * A TURN relay: the credentials a caller allocates with (its first datagram must come from
   * an allocation on the same relay). Absent: relay-lite.
   */
  readonly turn?: TurnCredentials
}

/** A NATed peer: the relays it keeps reservations with, and each reservation's mailbox. */
export interface ReachableFields {
  readonly via: readonly ReachableVia[]
}

/** An onion relay (issue 17): its keys and what it lets out. */
export interface OnionRelayFields {
  /** The relay's long-term identity key (32 bytes). */
  readonly identityKey: Uint8Array
  /** The ntor onion key (curve25519, 32 bytes). */
  readonly ntorOnionKey: Uint8Array
  /** Exit policy summary as Tor's microdescriptors spell it: `accept 80,443` or `reject 1-65535`. */
  readonly exitPolicy: string
}

export interface ServiceFieldsByKind {
  readonly relay: RelayFields
  readonly reachable: ReachableFields
  readonly 'onion-relay': OnionRelayFields
}

export interface ServiceRecord<K extends ServiceKind = ServiceKind> {
  readonly kind: K
  /** The advertiser's ed25519 public key (32 bytes): the record's signer. */
  readonly key: Uint8Array
  readonly address: Address
  readonly issued: number
  readonly expires: number
  readonly fields: ServiceFieldsByKind[K]
}

/** A signed record as BEP 44 carries it. */
export interface SignedServiceRecord {
  readonly k: Uint8Array
  readonly salt: Uint8Array
  readonly seq: number
  readonly sig: Uint8Array
  readonly value: BValue
}

/** Records live at most this long (BEP 44 stores items for about two hours anyway). */
export const RECORD_LIFETIME_MAX_SEC = 2 * 3600
/** A record issued this far in the reader's future is refused (clocks differ a little). */
export const CLOCK_SKEW_SEC = 300
const VIA_MAX = 8
const EXIT_POLICY_CHARS_MAX = 256
/** Realm, username and password: short strings (RFC 8489 allows more; records are small). */
const CREDENTIAL_CHARS_MAX = 128

export type RecordProblem =
  | 'not_bencode'
  | 'bad_shape'
  | 'wrong_kind'
  | 'bad_signature'
  | 'wrong_key'
  | 'expired'
  | 'not_yet_valid'
  | 'too_large'

/** The info-hash a kind is announced under: SHA-1 of `plexus-service:<kind>`. */
export const serviceInfoHash = (hashing: Hashing, kind: ServiceKind): Id160 =>
  hashing.sha1([utf8(`plexus-service:${kind}`)]) as Id160

/** The BEP 44 salt of a kind's record. */
export const serviceSalt = (kind: ServiceKind): Uint8Array => utf8(`plexus-service:${kind}`)

/** Where the record of `key` for `kind` is stored in the DHT. */
export const serviceTarget = (hashing: Hashing, key: Uint8Array, kind: ServiceKind): Id160 =>
  mutableTarget(hashing, key, serviceSalt(kind))

const compactAddress = (address: Address): Uint8Array => {
  const out = new Uint8Array(6)
  writeCompactPeer(address, out, 0, 'ipv4')
  return out
}

const addressOf = (bytes: Uint8Array | undefined): Address | undefined => {
  if (bytes === undefined || bytes.length !== 6) return undefined
  const address = readCompactPeer(bytes, 0, 'ipv4')
  return address.port === 0 ? undefined : address
}

function fieldsValue(record: ServiceRecord): BDict {
  const f = new Map<string, BValue>()
  if (record.kind === 'relay') {
    const r = record.fields as RelayFields
    f.set('p', utf8(r.protocol))
    f.set('n', r.allocationsMax)
    f.set('m', r.allocationsPerIpMax)
    f.set('l', r.lifetimeSec)
    f.set('u', r.uptimeSec)
    if (r.credentials !== undefined) f.set('c', credentialsValue(r.credentials))
  } else if (record.kind === 'reachable') {
    const r = record.fields as ReachableFields
    f.set(
      'v',
      r.via.map((via) =>
        dict([
          ['r', compactAddress(via.relay)],
          ['m', compactAddress(via.mailbox)],
          ...(via.turn === undefined
            ? []
            : [['c', credentialsValue(via.turn)] as [string, BValue]]),
        ]),
      ),
    )
  } else {
    const r = record.fields as OnionRelayFields
    f.set('i', r.identityKey)
    f.set('o', r.ntorOnionKey)
    f.set('e', utf8(r.exitPolicy))
  }
  return f
}

const dict = (entries: [string, BValue][]): BDict => new Map(entries)

const credentialsValue = (c: TurnCredentials): BDict =>
  dict([
    ['r', utf8(c.realm)],
    ['u', utf8(c.username)],
    ['p', utf8(c.password)],
  ])

function credentialsOf(value: BValue | undefined): TurnCredentials | undefined {
  if (value === undefined || !isBDict(value)) return undefined
  const realm = dictGetString(value, 'r')
  const username = dictGetString(value, 'u')
  const password = dictGetString(value, 'p')
  const fits = (text: string | undefined): text is string =>
    text !== undefined && text.length > 0 && text.length <= CREDENTIAL_CHARS_MAX
  if (!fits(realm) || !fits(username) || !fits(password)) return undefined
  return { realm, username, password }
}

/** The bencodable value of a record (what is signed and stored). */
export function recordValue(record: ServiceRecord): BValue {
  return dict([
    ['v', 1],
    ['k', utf8(record.kind)],
    ['a', compactAddress(record.address)],
    ['i', record.issued],
    ['x', record.expires],
    ['f', fieldsValue(record)],
  ])
}

const count = (value: number | undefined): number | undefined =>
  value !== undefined && Number.isSafeInteger(value) && value >= 0 ? value : undefined

function fieldsOf(kind: ServiceKind, f: BDict): ServiceFieldsByKind[ServiceKind] | undefined {
  if (kind === 'relay') {
    const protocol = dictGetString(f, 'p')
    const allocationsMax = count(dictGetInt(f, 'n'))
    const allocationsPerIpMax = count(dictGetInt(f, 'm'))
    const lifetimeSec = count(dictGetInt(f, 'l'))
    const uptimeSec = count(dictGetInt(f, 'u'))
    const relayProtocol = RELAY_PROTOCOLS.find((p) => p === protocol)
    if (relayProtocol === undefined || allocationsMax === undefined) return undefined
    if (allocationsPerIpMax === undefined || lifetimeSec === undefined) return undefined
    if (uptimeSec === undefined) return undefined
    const limits = { allocationsMax, allocationsPerIpMax, lifetimeSec, uptimeSec }
    if (relayProtocol === 'relay-lite') return { protocol: relayProtocol, ...limits }
    // a TURN relay nobody can allocate on is no relay: its credentials are required
    const credentials = credentialsOf(f.get('c'))
    return credentials === undefined
      ? undefined
      : { protocol: relayProtocol, ...limits, credentials }
  }
  if (kind === 'reachable') {
    const list = dictGetList(f, 'v')
    if (list === undefined || list.length > VIA_MAX) return undefined
    const via: ReachableVia[] = []
    for (const entry of list) {
      if (!isBDict(entry)) return undefined
      const relay = addressOf(dictGetBytes(entry, 'r'))
      const mailbox = addressOf(dictGetBytes(entry, 'm'))
      if (relay === undefined || mailbox === undefined) return undefined
      const c = entry.get('c')
      const turn = credentialsOf(c)
      if (c !== undefined && turn === undefined) return undefined
      via.push(turn === undefined ? { relay, mailbox } : { relay, mailbox, turn })
    }
    return { via }
  }
  const identityKey = dictGetBytes(f, 'i')
  const ntorOnionKey = dictGetBytes(f, 'o')
  const exitPolicy = dictGetString(f, 'e')
  if (identityKey?.length !== 32 || ntorOnionKey?.length !== 32) return undefined
  if (exitPolicy === undefined || exitPolicy.length > EXIT_POLICY_CHARS_MAX) return undefined
  return { identityKey, ntorOnionKey, exitPolicy }
}

/** Reads a record's value (no signature check: see `verifyRecord`); never throws. */
export function parseRecordValue(
  value: BValue,
  key: Uint8Array,
): Result<ServiceRecord, RecordProblem> {
  if (!isBDict(value)) return err('bad_shape')
  const kindText = dictGetString(value, 'k')
  const kind = SERVICE_KINDS.find((k) => k === kindText)
  const address = addressOf(dictGetBytes(value, 'a'))
  const issued = count(dictGetInt(value, 'i'))
  const expires = count(dictGetInt(value, 'x'))
  const f = dictGetDict(value, 'f')
  if (dictGetInt(value, 'v') !== 1 || kind === undefined || address === undefined) {
    return err('bad_shape')
  }
  if (issued === undefined || expires === undefined || f === undefined) return err('bad_shape')
  if (!isIPv4(address.host) || !isValidPort(address.port)) return err('bad_shape')
  const fields = fieldsOf(kind, f)
  if (fields === undefined) return err('bad_shape')
  return ok({ kind, key, address, issued, expires, fields })
}

/** Signs a record as a BEP 44 mutable item (seq = issue time). */
export function signRecord(
  signing: Signing,
  seed: Uint8Array,
  record: Omit<ServiceRecord, 'key'>,
): SignedServiceRecord {
  const k = signing.publicKeyOf(seed)
  const value = recordValue({ ...record, key: k } as ServiceRecord)
  if (encode(value).length > ITEM_VALUE_BYTES_MAX) throw new RangeError('service record too large')
  const salt = serviceSalt(record.kind)
  const seq = record.issued
  return { k, salt, seq, value, sig: signing.sign(seed, signedBytes(salt, seq, value)) }
}

/**
 * Checks a record found in the DHT or answered by a relay: the signature over the BEP 44 bytes,
 * the kind (salt and value agree), an expected signer if the reader knows one, and the times
 * against `nowSec`. A forged, altered, stale or wrong-kind record is refused with the reason.
 */
export function verifyRecord<K extends ServiceKind>(
  signing: Signing,
  signed: {
    readonly k?: Uint8Array | undefined
    readonly salt?: Uint8Array | undefined
    readonly seq?: number | undefined
    readonly sig?: Uint8Array | undefined
    readonly value: BValue
  },
  expect: { readonly kind: K; readonly key?: Uint8Array; readonly nowSec: number },
): Result<ServiceRecord<K>, RecordProblem> {
  const { k, seq, sig } = signed
  if (k?.length !== 32 || sig?.length !== 64 || seq === undefined) return err('bad_shape')
  if (encode(signed.value).length > ITEM_VALUE_BYTES_MAX) return err('too_large')
  if (expect.key !== undefined && !equalBytes(expect.key, k)) return err('wrong_key')
  const salt = serviceSalt(expect.kind)
  if (signed.salt !== undefined && !equalBytes(signed.salt, salt)) return err('wrong_kind')
  if (!signing.verify(k, signedBytes(salt, seq, signed.value), sig)) return err('bad_signature')
  const parsed = parseRecordValue(signed.value, k)
  if (!parsed.ok) return parsed
  const record = parsed.value
  if (record.kind !== expect.kind) return err('wrong_kind')
  if (record.issued !== seq) return err('bad_shape')
  if (record.expires <= record.issued || record.expires - record.issued > RECORD_LIFETIME_MAX_SEC) {
    return err('bad_shape')
  }
  if (expect.nowSec >= record.expires) return err('expired')
  if (record.issued > expect.nowSec + CLOCK_SKEW_SEC) return err('not_yet_valid')
  return ok(record as ServiceRecord<K>)
}

/** The wire form a relay answers IDENTIFY with: the BEP 44 fields in one dictionary. */
export const encodeSignedRecord = (signed: SignedServiceRecord): Uint8Array =>
  encode(
    dict([
      ['k', signed.k],
      ['salt', signed.salt],
      ['seq', signed.seq],
      ['sig', signed.sig],
      ['v', signed.value],
    ]),
  )

export function decodeSignedRecord(bytes: Uint8Array): Result<SignedServiceRecord, RecordProblem> {
  const decoded = decode(bytes)
  if (!decoded.ok) return err('not_bencode')
  const top = decoded.value
  if (!isBDict(top)) return err('bad_shape')
  const k = dictGetBytes(top, 'k')
  const salt = dictGetBytes(top, 'salt')
  const seq = count(dictGetInt(top, 'seq'))
  const sig = dictGetBytes(top, 'sig')
  const value = top.get('v')
  if (k === undefined || salt === undefined || seq === undefined || sig === undefined) {
    return err('bad_shape')
  }
  if (value === undefined || (!isBBytes(value) && !isBDict(value))) return err('bad_shape')
  return ok({ k, salt, seq, sig, value })
}
