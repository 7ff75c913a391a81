import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { PeerView, SwarmView } from '../../protocols/bittorrent/swarm/index.js'
import { CapacitySampler } from './swarm-capacity.js'

type PeerFlags = Pick<
  PeerView,
  'amChoking' | 'peerInterested' | 'amInterested' | 'peerChoking' | 'outstandingRequests' | 'isSeed'
>

/** The fields the sampler reads; the rest of a view does not matter to it. */
const view = (uploadedBytes: number, peers: PeerFlags[], slots = 4): SwarmView =>
  ({
    stats: { uploadedBytes },
    config: { choke: { slots } },
    peers: peers.map((flags) => ({ phase: 'open', ...flags })),
  }) as unknown as SwarmView

const peer = (over: Partial<PeerFlags>): PeerFlags => ({
  amChoking: true,
  peerInterested: false,
  amInterested: false,
  peerChoking: true,
  outstandingRequests: 0,
  isSeed: false,
  ...over,
})

test('utilisation is uploaded payload over the capacity of the hosts present, per step', () => {
  const sampler = new CapacitySampler()
  sampler.sample(new Map([[0, { view: view(500, []), uploadBytesPerSecond: 1000 }]]), 1)
  sampler.sample(
    new Map([
      [0, { view: view(1500, []), uploadBytesPerSecond: 1000 }],
      [1, { view: view(0, []), uploadBytesPerSecond: 1000 }],
    ]),
    1,
  )
  const report = sampler.report()
  assert.deepEqual(report.perSecond, [0.5, 0.5])
  assert.equal(report.utilisation, 0.5)
})

test('idle slots, unchoked-but-not-interested and starved peers are counted as shares', () => {
  const sampler = new CapacitySampler()
  const peers = [
    peer({ amChoking: false, peerInterested: true }),
    peer({ amChoking: false, peerInterested: false }),
    peer({ amInterested: true, peerChoking: false, outstandingRequests: 0 }),
    peer({ amInterested: true, peerChoking: false, outstandingRequests: 5 }),
  ]
  sampler.sample(new Map([[0, { view: view(0, peers, 4), uploadBytesPerSecond: 1 }]]), 1)
  const report = sampler.report()
  assert.equal(report.idleSlotShare, 0.5, '2 of 4 slots used')
  assert.equal(report.idleWhileWantedShare, 0, 'nobody interested is left choked')
  assert.equal(report.unchokedNotInterestedShare, 0.5)
  assert.equal(report.starvedShare, 0.5)
})

test('idle slots an interested peer we keep choked could have used are told apart', () => {
  const sampler = new CapacitySampler()
  const peers = [
    peer({ amChoking: false, peerInterested: true }),
    peer({ peerInterested: true }),
    peer({ peerInterested: true, isSeed: true }),
  ]
  sampler.sample(new Map([[0, { view: view(0, peers, 4), uploadBytesPerSecond: 1 }]]), 1)
  const report = sampler.report()
  assert.equal(report.idleSlotShare, 0.75, '3 of 4 slots idle')
  assert.equal(report.idleWhileWantedShare, 0.25, 'one of them wanted by a choked peer')
})

test('a host whose peers are all seeds has no idle slots to count', () => {
  const sampler = new CapacitySampler()
  const peers = [peer({ isSeed: true })]
  sampler.sample(new Map([[0, { view: view(0, peers, 4), uploadBytesPerSecond: 1 }]]), 1)
  assert.equal(sampler.report().idleSlotShare, 0)
})
