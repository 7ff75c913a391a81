import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey } from '../../core/address.js'
import { RingOracle } from './oracle.js'
import { Ring } from './ring.js'
import { ChordTestNet } from './test-net.js'

const FAST = {
  bits: 32,
  successors: 4,
  replicas: 3,
  stabilizeMs: 500,
  fixFingersMs: 100,
  checkPredecessorMs: 500,
  replicateMs: 2000,
  rpcTimeoutMs: 200,
}

/**
 * The churn failure of chord.md: a lookup right after its key's owner crashed names the dead
 * owner (its predecessor has not noticed yet). With `confirmOwner` the lookup pings the owner
 * and, on a timeout, names the next successor, which is the key's live owner.
 */
function lookupRightAfterOwnerCrash(confirmOwner: boolean) {
  const net = new ChordTestNet({ ...FAST, confirmOwner }, 11)
  net.add(0)
  for (let i = 1; i < 20; i++) {
    net.add(i).join(net.now, [net.addressOf(0)])
    net.run(net.now + 300)
  }
  net.run(net.now + 30_000)
  const ring = new Ring(FAST.bits)
  const target = 987_654_321n
  const everyone = new RingOracle(
    ring,
    [...net.nodes.values()].map((n) => n.self),
  )
  const owner = everyone.successor(target)
  net.silent.add(addressKey(owner.address))
  const live = new RingOracle(
    ring,
    [...net.nodes.values()].map((n) => n.self).filter((s) => s.id !== owner.id),
  )
  const heir = live.successor(target)
  const nodes = [...net.nodes.values()]
  // An asker that is neither the owner nor its predecessor (which would time out itself).
  const askerIndex = nodes.findIndex(
    (n) => n.self.id !== owner.id && n.successor.id !== owner.id && n.self.id !== heir.id,
  )
  const handle = (nodes[askerIndex] as (typeof nodes)[number]).lookup(net.now, ring.toBytes(target))
  net.run(net.now + 2000)
  return { done: net.done(askerIndex, handle), owner, heir, ring }
}

test('chord: without confirmOwner a lookup right after the owner crashed names the dead owner', () => {
  const { done, owner, ring } = lookupRightAfterOwnerCrash(false)
  assert.equal(done?.ok, true)
  assert.equal(done?.owner?.id, ring.hex(owner.id))
})

test('chord: with confirmOwner the lookup names the next successor, its ping timeout in the trace', () => {
  const { done, owner, heir, ring } = lookupRightAfterOwnerCrash(true)
  assert.equal(done?.ok, true, done?.error)
  assert.equal(done?.owner?.id, ring.hex(heir.id))
  const timeouts = done?.trace.hops.filter((h) => h.outcome === 'timeout') ?? []
  assert.deepEqual(
    timeouts.map((h) => h.id),
    [ring.hex(owner.id)],
  )
})
