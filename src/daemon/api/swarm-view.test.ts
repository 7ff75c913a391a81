import assert from 'node:assert/strict'
import { test } from 'node:test'
import { pieceMapOf, swarmPeersOf, type PeerFlagsSource } from './swarm-view.js'

test('the piece map: one state character and one availability per piece', () => {
  const states = [3, 0, 1, 2, 3]
  const map = pieceMapOf(
    { state: (piece) => states[piece] as number, availability: (piece) => piece * 2 },
    5,
  )
  assert.deepEqual(map, { pieces: 5, states: '30123', availability: [0, 2, 4, 6, 8] })
  assert.deepEqual(pieceMapOf({ state: () => 0, availability: () => 0 }, 0), {
    pieces: 0,
    states: '',
    availability: [],
  })
})

const peer = (fields: Partial<PeerFlagsSource>): PeerFlagsSource => ({
  address: { host: '127.0.0.1', port: 6881 },
  phase: 'open',
  outbound: true,
  fast: true,
  amChoking: true,
  amInterested: false,
  peerChoking: false,
  peerInterested: true,
  isSeed: false,
  snubbed: false,
  downloadRate: 10,
  uploadRate: 20,
  downloadedBytes: 100,
  uploadedBytes: 200,
  client: 'plexus 0.1.0',
  outstandingRequests: 3,
  uploadQueued: 1,
  has: { count: 25 },
  ...fields,
})

test('peers with flags: only open connections, progress from their bitfield', () => {
  const peers = swarmPeersOf(
    [
      peer({}),
      peer({ phase: 'connecting', client: undefined }),
      peer({ client: undefined, snubbed: true, isSeed: true, has: { count: 100 } }),
    ],
    100,
  )
  assert.equal(peers.length, 2)
  assert.deepEqual(peers[0], {
    address: '127.0.0.1:6881',
    client: 'plexus 0.1.0',
    outbound: true,
    fast: true,
    amChoking: true,
    amInterested: false,
    peerChoking: false,
    peerInterested: true,
    snubbed: false,
    seed: false,
    progress: 0.25,
    downloadRate: 10,
    uploadRate: 20,
    downloadedBytes: 100,
    uploadedBytes: 200,
    requests: 3,
    queued: 1,
  })
  assert.equal(peers[1]?.client, undefined)
  assert.equal(peers[1]?.snubbed, true)
  assert.equal(peers[1]?.progress, 1)
})
