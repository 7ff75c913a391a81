import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { SwarmView } from '../../protocols/bittorrent/swarm/index.js'
import { FreeRiderSampler } from './swarm-free-riders.js'

/** The fields the sampler reads: each connection's id, far end and upload counter. */
const view = (connections: [number, string, number][]): SwarmView =>
  ({
    peers: connections.map(([connection, host, uploadedBytes]) => ({
      connection,
      address: { host, port: 6881 },
      uploadedBytes,
    })),
  }) as unknown as SwarmView

test("free riders' shares count each connection's growth once, by the far end's role", () => {
  // Hosts .2 and .3 of 4 leechers are free riders; host 0 is the seed, 1 a contributor.
  const sampler = new FreeRiderSampler(new Set(['10.0.0.2', '10.0.0.3']), 4)
  sampler.sample(
    new Map([
      [
        0,
        {
          isSeed: true,
          view: view([
            [1, '10.0.0.2', 100],
            [2, '10.0.0.4', 300],
          ]),
        },
      ],
      [
        1,
        {
          isSeed: false,
          view: view([
            [1, '10.0.0.3', 50],
            [2, '10.0.0.4', 50],
          ]),
        },
      ],
    ]),
  )
  // A step later the counters grew; the totals are not counted twice.
  sampler.sample(
    new Map([
      [
        0,
        {
          isSeed: true,
          view: view([
            [1, '10.0.0.2', 100],
            [2, '10.0.0.4', 400],
          ]),
        },
      ],
      [
        1,
        {
          isSeed: false,
          view: view([
            [1, '10.0.0.3', 50],
            [2, '10.0.0.4', 250],
          ]),
        },
      ],
    ]),
  )
  assert.deepEqual(sampler.report(), {
    ofLeechers: 0.5,
    ofLeecherUpload: 0.167, // 50 of 300
    ofSeedUpload: 0.2, // 100 of 500
  })
})

test('no upload at all gives zero shares, not NaN', () => {
  const sampler = new FreeRiderSampler(new Set(), 3)
  sampler.sample(new Map())
  assert.deepEqual(sampler.report(), { ofLeechers: 0, ofLeecherUpload: 0, ofSeedUpload: 0 })
})
