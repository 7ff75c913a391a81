/**
 * BEP 44 items: immutable (target = SHA-1 of the bencoded value) and mutable (target =
 * SHA-1(public key | salt), signed over `4:salt<len>:<salt>3:seqi<seq>e1:v<bencoded v>` with
 * the salt part omitted when there is no salt). Pure functions plus a bounded store.
 */
import { concatBytes, equalBytes, utf8 } from '../../core/bytes.js'
import { encode, type BValue } from '../../core/codec/bencode.js'
import type { Hashing } from '../../core/env.js'
import { toHex, type Id160 } from '../../core/id.js'
import { after, type Duration, type Instant } from '../../core/time.js'
import type { Ed25519 } from './ed25519.js'
import { KRPC_ERROR } from './messages.js'
import { SourceLedger, type Owner, type StorageQuota } from './source-ledger.js'

export const ITEM_VALUE_BYTES_MAX = 1000
export const ITEM_SALT_BYTES_MAX = 64

export interface StoredItem {
  readonly value: BValue
  /** Mutable items only. */
  readonly k?: Uint8Array
  readonly salt?: Uint8Array
  readonly seq?: number
  readonly sig?: Uint8Array
}

export function immutableTarget(hashing: Hashing, value: BValue): Id160 {
  return hashing.sha1([encode(value)]) as Id160
}

export function mutableTarget(hashing: Hashing, k: Uint8Array, salt?: Uint8Array): Id160 {
  return hashing.sha1(salt === undefined ? [k] : [k, salt]) as Id160
}

/** The bytes a mutable item's signature covers, exactly as BEP 44 spells them. */
export function signedBytes(salt: Uint8Array | undefined, seq: number, value: BValue): Uint8Array {
  const parts: Uint8Array[] = []
  if (salt !== undefined && salt.length > 0) {
    parts.push(utf8(`4:salt${salt.length}:`), salt)
  }
  parts.push(utf8(`3:seqi${seq}e1:v`), encode(value))
  return concatBytes(parts)
}

export type PutRejection = { readonly code: number; readonly message: string }

/** Checks an incoming put; returns the item and its target, or the KRPC error to answer. */
export function validatePut(
  hashing: Hashing,
  ed25519: Ed25519 | undefined,
  put: {
    readonly value: BValue
    readonly k?: Uint8Array
    readonly sig?: Uint8Array
    readonly seq?: number
    readonly salt?: Uint8Array
  },
): { readonly target: Id160; readonly item: StoredItem } | PutRejection {
  const size = encode(put.value).length
  if (size > ITEM_VALUE_BYTES_MAX) {
    return { code: KRPC_ERROR.messageTooBig, message: 'message (v field) too big' }
  }
  if (put.k === undefined) {
    if (put.sig !== undefined || put.seq !== undefined || put.salt !== undefined) {
      return { code: KRPC_ERROR.protocol, message: 'immutable put with mutable fields' }
    }
    return { target: immutableTarget(hashing, put.value), item: { value: put.value } }
  }
  if (put.salt !== undefined && put.salt.length > ITEM_SALT_BYTES_MAX) {
    return { code: KRPC_ERROR.saltTooBig, message: 'salt (salt field) too big' }
  }
  if (put.sig === undefined || put.seq === undefined) {
    return { code: KRPC_ERROR.protocol, message: 'mutable put without sig or seq' }
  }
  if (ed25519 === undefined) {
    return { code: KRPC_ERROR.server, message: 'mutable items not supported' }
  }
  const salt = put.salt !== undefined && put.salt.length > 0 ? put.salt : undefined
  if (!ed25519.verify(put.k, signedBytes(salt, put.seq, put.value), put.sig)) {
    return { code: KRPC_ERROR.invalidSignature, message: 'invalid signature' }
  }
  return {
    target: mutableTarget(hashing, put.k, salt),
    item: {
      value: put.value,
      k: put.k,
      seq: put.seq,
      sig: put.sig,
      ...(salt === undefined ? {} : { salt }),
    },
  }
}

/** True when an item received in a `get` response is genuine for `target`. */
export function verifyReceivedItem(
  hashing: Hashing,
  ed25519: Ed25519 | undefined,
  target: Id160,
  item: StoredItem,
  salt: Uint8Array | undefined,
): boolean {
  if (item.k === undefined) return equalBytes(immutableTarget(hashing, item.value), target)
  if (item.sig === undefined || item.seq === undefined || ed25519 === undefined) return false
  const s = salt !== undefined && salt.length > 0 ? salt : undefined
  if (!equalBytes(mutableTarget(hashing, item.k, s), target)) return false
  return ed25519.verify(item.k, signedBytes(s, item.seq, item.value), item.sig)
}

interface Entry {
  item: StoredItem
  expires: Instant
  readonly owner: Owner
  readonly created: Instant
  /** Puts of this target after the first: an item its owner keeps alive. */
  refreshes: number
}

/** The answer to a put that would exceed its sender's share (see SourceLedger). */
export const STORAGE_QUOTA_FULL: PutRejection = {
  code: KRPC_ERROR.server,
  message: 'storage full for your address range',
}

/**
 * Stored items, bounded in total and per source address and prefix (see SourceLedger). A put
 * of a new target from a source or prefix that has filled its share is refused (202), never
 * made room for. When the store is full, a new target takes the room of an item owned by the
 * prefix holding the most, preferring items never refreshed and, among those, the newest:
 * an old item that is still being refreshed is the last to go. Refreshing a stored target
 * (the same or a newer item) is always accepted and keeps the first owner.
 */
/** The empty store every ItemStore starts with (never written: `put` makes its own). */
const NO_ITEMS: Map<string, Entry> = new Map()

export class ItemStore {
  /** NO_ITEMS until the first put: most simulated nodes never hold an item. */
  private items: Map<string, Entry> = NO_ITEMS
  private readonly ledger: SourceLedger

  constructor(
    private readonly ttl: Duration,
    private readonly itemsMax: number,
    quota: StorageQuota,
  ) {
    this.ledger = new SourceLedger(quota)
  }

  get(now: Instant, target: Id160): StoredItem | undefined {
    const entry = this.items.get(toHex(target))
    return entry === undefined || entry.expires <= now ? undefined : entry.item
  }

  /**
   * Stores a validated item from `owner`. A mutable item replaces the stored one only if `cas`
   * (when given) matches the stored seq (else 301) and its seq is not lower (else 302).
   */
  put(
    now: Instant,
    target: Id160,
    item: StoredItem,
    owner: Owner,
    cas?: number,
  ): PutRejection | undefined {
    const key = toHex(target)
    const existing = this.items.get(key)
    if (existing !== undefined && existing.expires > now) {
      const current = existing.item
      if (current.seq !== undefined && item.seq !== undefined) {
        if (cas !== undefined && cas !== current.seq) {
          return { code: 301, message: 'the CAS hash mismatched, re-read value and try again' }
        }
        if (item.seq < current.seq) {
          return { code: 302, message: 'sequence number less than current' }
        }
      }
      existing.item = item
      existing.expires = after(now, this.ttl)
      existing.refreshes++
      return undefined
    }
    if (existing !== undefined) this.drop(key, existing)
    if (!this.ledger.admits(owner)) return STORAGE_QUOTA_FULL
    if (this.items.size >= this.itemsMax && !this.evictFor(owner)) return STORAGE_QUOTA_FULL
    if (this.items === NO_ITEMS) this.items = new Map()
    this.items.set(key, { item, expires: after(now, this.ttl), owner, created: now, refreshes: 0 })
    this.ledger.add(owner, key)
    return undefined
  }

  /** Frees one slot from the largest holder; false when no holder has more than its share. */
  private evictFor(owner: Owner): boolean {
    const prefix = this.ledger.evictionPrefix(owner)
    if (prefix === undefined) return false
    let victim: [string, Entry] | undefined
    for (const key of this.ledger.keysOf(prefix)) {
      const entry = this.items.get(key)
      if (entry === undefined) continue
      if (victim === undefined || lessWorthKeeping(entry, victim[1])) victim = [key, entry]
    }
    if (victim === undefined) return false
    this.drop(victim[0], victim[1])
    return true
  }

  private drop(key: string, entry: Entry): void {
    this.items.delete(key)
    this.ledger.remove(entry.owner, key)
  }

  /** Each live item with the instant of its last put, read only (see stored-listing.ts). */
  *itemsHeld(now: Instant): Generator<{
    readonly target: string
    readonly item: StoredItem
    readonly storedAt: Instant
  }> {
    for (const [target, entry] of this.items) {
      if (entry.expires > now)
        yield { target, item: entry.item, storedAt: lastStored(entry.expires, this.ttl) }
    }
  }

  expire(now: Instant): void {
    for (const [key, entry] of this.items) if (entry.expires <= now) this.drop(key, entry)
  }

  get size(): number {
    return this.items.size
  }
}

/** Never refreshed before refreshed; among equals, the newer goes first (older ones stay). */
export function lessWorthKeeping(
  a: { readonly refreshes: number; readonly created: Instant },
  b: { readonly refreshes: number; readonly created: Instant },
): boolean {
  return a.refreshes !== b.refreshes ? a.refreshes < b.refreshes : a.created > b.created
}

/** When an entry expiring at `expires` was last stored: every store or refresh sets `ttl` anew. */
export function lastStored(expires: Instant, ttl: Duration): Instant {
  return (expires - ttl) as Instant
}
