import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import { encode } from '../../core/codec/bencode.js'
import { toHex, type Id160 } from '../../core/id.js'
import { instant, minutes } from '../../core/time.js'
import { immutableTarget, ItemStore, mutableTarget } from './items.js'
import { PeerStore } from './peer-store.js'
import { ownerOf } from './source-ledger.js'
import { listStored } from './stored-listing.js'
import { NodeHashingForTests } from './test-hashing.js'

const hashing = new NodeHashingForTests()
const quota = { perSourceMax: 1000, perPrefixMax: 1000 }
const infoHash = (n: number): Id160 => hashing.sha1([Uint8Array.of(n)]) as Id160
const from = (n: number) => ownerOf(address(`10.0.${n}.1`, 6881), false)

test('lists swarms with peer and seed counts and announce ages, newest first', () => {
  const peers = new PeerStore(minutes(30), 100, 100, quota)
  const items = new ItemStore(minutes(120), 100, quota)
  peers.announce(instant(1_000), infoHash(1), address('10.0.1.1', 1), from(1))
  peers.announce(instant(4_000), infoHash(1), address('10.0.2.1', 2), from(2), true)
  peers.announce(instant(2_000), infoHash(2), address('10.0.3.1', 3), from(3))

  const listing = listStored(instant(10_000), peers, items)
  assert.deepEqual(listing.swarms, [
    {
      infoHash: toHex(infoHash(1)),
      peers: 2,
      seeds: 1,
      oldestAnnounceMsAgo: 9_000,
      newestAnnounceMsAgo: 6_000,
    },
    {
      infoHash: toHex(infoHash(2)),
      peers: 1,
      seeds: 0,
      oldestAnnounceMsAgo: 8_000,
      newestAnnounceMsAgo: 8_000,
    },
  ])
  assert.equal(listing.swarmsTotal, 2)
  assert.deepEqual(listing.items, [])
  assert.equal(listing.itemsTotal, 0)
})

test('lists immutable and mutable items with key, seq, size and age, newest first', () => {
  const peers = new PeerStore(minutes(30), 100, 100, quota)
  const items = new ItemStore(minutes(120), 100, quota)
  const immutableValue = utf8('hello world')
  const immutable = immutableTarget(hashing, immutableValue)
  const k = new Uint8Array(32).fill(7)
  const salt = utf8('s1')
  const mutable = mutableTarget(hashing, k, salt)
  const sig = new Uint8Array(64)
  items.put(instant(1_000), immutable, { value: immutableValue }, from(1))
  items.put(instant(2_000), mutable, { value: 42, k, salt, seq: 3, sig }, from(2))
  // A newer put of the same target refreshes its age and replaces seq.
  items.put(instant(5_000), mutable, { value: utf8('abc'), k, salt, seq: 4, sig }, from(2))

  const listing = listStored(instant(6_000), peers, items)
  assert.deepEqual(listing.items, [
    {
      target: toHex(mutable),
      mutable: true,
      publicKey: '07'.repeat(32),
      seq: 4,
      saltBytes: 2,
      valueBytes: encode(utf8('abc')).length,
      storedMsAgo: 1_000,
    },
    {
      target: toHex(immutable),
      mutable: false,
      valueBytes: encode(immutableValue).length,
      storedMsAgo: 5_000,
    },
  ])
  assert.equal(listing.itemsTotal, 2)
})

test('keeps only the most recent `max` of each and leaves expired entries out', () => {
  const peers = new PeerStore(minutes(30), 100, 1000, quota)
  const items = new ItemStore(minutes(120), 1000, quota)
  for (let i = 0; i < 250; i++) {
    peers.announce(instant(1_000 + i), infoHash(i), address('10.0.1.1', 1), from(1))
    items.put(instant(1_000 + i), immutableTarget(hashing, i), { value: i }, from(1))
  }
  const listing = listStored(instant(10_000), peers, items)
  assert.equal(listing.swarms.length, 200)
  assert.equal(listing.swarmsTotal, 250)
  assert.equal(listing.items.length, 200)
  assert.equal(listing.itemsTotal, 250)
  // Newest first: the last 200 announced, the newest at the top.
  assert.equal(listing.swarms[0]?.infoHash, toHex(infoHash(249)))
  assert.equal(listing.swarms[199]?.infoHash, toHex(infoHash(50)))
  assert.equal(listing.items[0]?.target, toHex(immutableTarget(hashing, 249)))
  assert.equal(listStored(instant(10_000), peers, items, 5).items.length, 5)

  // Past the peer TTL (30 min) every swarm is gone; items (120 min) remain.
  const later = listStored(instant(31 * 60_000 + 2_000), peers, items)
  assert.equal(later.swarmsTotal, 0)
  assert.deepEqual(later.swarms, [])
  assert.equal(later.itemsTotal, 250)
})
