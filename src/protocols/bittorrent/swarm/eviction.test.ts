import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import type { ConnectionId } from '../../../core/core.js'
import { instant, ms, type Instant } from '../../../core/time.js'
import { earliestVictimAt, evictionVictim } from './eviction.js'
import { Peer } from './peer.js'

const CONFIG = { evictHandshakingAfter: ms(2000), evictIdleAfter: ms(20_000) }

interface PeerState {
  readonly outbound: boolean
  readonly opened: boolean
  readonly connectedAt: number
  readonly usefulAt: number
  readonly interested: boolean
}

const state = fc.record({
  outbound: fc.boolean(),
  opened: fc.boolean(),
  connectedAt: fc.integer({ min: 0, max: 30_000 }),
  usefulAt: fc.integer({ min: 0, max: 30_000 }),
  interested: fc.boolean(),
})

function peerOf(s: PeerState, index: number, now: number): Peer {
  const at = instant(Math.min(s.connectedAt, now))
  const peer = new Peer(
    index as ConnectionId,
    s.outbound,
    { host: '10.0.0.1', port: index + 1 },
    8,
    at,
    16_384,
  )
  if (s.outbound && !s.opened) return peer // a dial under way
  peer.phase = s.opened ? 'open' : 'handshaking'
  peer.lastUsefulAt = instant(Math.max(at, Math.min(s.usefulAt, now)))
  peer.amInterested = s.interested
  return peer
}

test('no connection is a victim before earliestVictimAt, whatever time passes', () => {
  fc.assert(
    fc.property(
      fc.array(state, { maxLength: 20 }),
      fc.integer({ min: 0, max: 30_000 }),
      fc.integer({ min: 0, max: 30_000 }),
      (states, nowMs, laterMs) => {
        const peers = states.map((s, i) => peerOf(s, i, nowMs))
        const now = instant(nowMs)
        const earliest = earliestVictimAt(peers, CONFIG, now)
        if (earliest <= nowMs) return
        // Any instant from now to just before it, with no state change: nobody.
        const t: Instant = instant(nowMs + (laterMs % (earliest - nowMs)))
        assert.equal(evictionVictim(peers, CONFIG, t), undefined)
      },
    ),
  )
})

test('the earliest instant: 20 s after the idle peer, or 2 s after a newcomer', () => {
  const peers = [0, 1].map((i) =>
    peerOf(
      { outbound: false, opened: true, connectedAt: 0, usefulAt: 1000 * i, interested: false },
      i,
      19_000,
    ),
  )
  // A connection accepted now could be a silent victim 2 s from now.
  assert.equal(earliestVictimAt(peers, CONFIG, instant(5000)), 7000)
  const earliest = earliestVictimAt(peers, CONFIG, instant(19_000))
  assert.equal(earliest, 20_000)
  assert.equal(evictionVictim(peers, CONFIG, instant(19_999)), undefined)
  assert.equal(evictionVictim(peers, CONFIG, instant(20_000)), peers[0])
})
