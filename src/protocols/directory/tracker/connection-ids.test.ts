import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import type { Hashing } from '../../../core/env.js'
import { SeededRandom } from '../../../core/random.js'
import { after, instant, seconds, type Instant } from '../../../core/time.js'
import { ConnectionIds } from './connection-ids.js'
import { peerAddress, type PeerAddress } from './peer-address.js'

/** Counts SHA-256 calls: the cost the id cache exists to save. */
class CountingHashing implements Hashing {
  sha256Calls = 0
  private readonly inner = new NodeHashing()
  sha1(parts: readonly Uint8Array[]): Uint8Array {
    return this.inner.sha1(parts)
  }
  sha256(parts: readonly Uint8Array[]): Uint8Array {
    this.sha256Calls++
    return this.inner.sha256(parts)
  }
}

const address = (host: string, port: number): PeerAddress => {
  const parsed = peerAddress(host, port)
  assert.ok(parsed !== undefined)
  return parsed
}

test('an id verified again costs no MAC: connect then announce pays for one MAC', () => {
  const hashing = new CountingHashing()
  const ids = new ConnectionIds(hashing, new SeededRandom(7), seconds(60))
  const a = address('192.0.2.1', 4000)
  const now = instant(1_000_000)
  const id = ids.issue(a, now)
  assert.equal(hashing.sha256Calls, 2, 'one HMAC: two SHA-256')
  for (let i = 0; i < 10; i++) assert.ok(ids.verify(a, id, 0, now))
  assert.equal(hashing.sha256Calls, 2, 'verifications hit the cache')
})

test('cached ids are the ids a fresh tracker computes, across epochs, jumps and going back', () => {
  const sources = [
    address('192.0.2.1', 4000),
    address('192.0.2.1', 4001),
    address('2001:db8::1', 1),
  ]
  const cached = new ConnectionIds(new NodeHashing(), new SeededRandom(9), seconds(60))
  let now: Instant = instant(60_000 * 500)
  const steps = [0, 1, 30, 59, 60, 61, 119, 120, 600, 1, 3600]
  for (const step of steps) {
    now = after(now, seconds(step))
    for (const source of sources) {
      // The same secret, no history: what the id must be.
      const fresh = new ConnectionIds(new NodeHashing(), new SeededRandom(9), seconds(60))
      const id = cached.issue(source, now)
      assert.deepEqual(id, fresh.issue(source, now))
      assert.ok(cached.verify(source, id, 0, now))
      assert.ok(cached.verify(source, id, 0, after(now, seconds(60))))
      assert.ok(!cached.verify(source, id, 0, after(now, seconds(120))), 'expired after two epochs')
    }
  }
  // A clock that steps back (never on a monotonic clock) still yields the right ids.
  const earlier = instant(60_000 * 400)
  const fresh = new ConnectionIds(new NodeHashing(), new SeededRandom(9), seconds(60))
  assert.deepEqual(cached.issue(sources[0]!, earlier), fresh.issue(sources[0]!, earlier))
})
