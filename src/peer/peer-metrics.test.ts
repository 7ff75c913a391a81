import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { test } from 'node:test'
import { utf8 } from '../core/bytes.js'
import { createNodeEnv } from '../drivers/node/env.js'
import { promised } from '../drivers/promises.js'
import { HANDSHAKE_PREFIX_BYTES } from './handshake-router.js'
import { Peer } from './peer.js'
import type { PeerApi } from './types.js'

/** Sends a handshake prefix for a torrent the peer does not have; resolves when it is closed. */
function knockUnknownTorrent(port: number): Promise<void> {
  const prefix = new Uint8Array(HANDSHAKE_PREFIX_BYTES)
  prefix[0] = 19
  prefix.set(utf8('BitTorrent protocol'), 1)
  prefix.fill(0xee, 28, 48)
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(prefix))
    // The peer destroys the socket: a reset is the expected end, like a close.
    socket.on('error', () => {})
    socket.on('close', () => resolve())
  })
}

test('two peers in one process (one Env) keep their own metrics registry', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const start = (): Promise<PeerApi> =>
    promised<PeerApi>((done) =>
      Peer.start(
        env,
        {
          listen: { host: '127.0.0.1', port: 0 },
          uploadRateLimit: 0,
          downloadRateLimit: 0,
          connectionsMax: 10,
          dht: false,
          trackers: false,
          stateDisk: env.disk,
        },
        done,
      ),
    )
  const a = await start()
  const b = await start()
  try {
    await knockUnknownTorrent(a.listenAddress.port)
    await knockUnknownTorrent(a.listenAddress.port)
    assert.equal(a.metrics().counters['peer.listener.unrouted'], 2)
    assert.equal(b.metrics().counters['peer.listener.unrouted'], undefined)
    await knockUnknownTorrent(b.listenAddress.port)
    assert.equal(a.metrics().counters['peer.listener.unrouted'], 2)
    assert.equal(b.metrics().counters['peer.listener.unrouted'], 1)
    // The world's registry still sees every sample (process or simulated host totals).
    assert.equal(env.metrics.counter('peer.listener.unrouted'), 3)
  } finally {
    await promised<void>((done) => a.stop(done))
    await promised<void>((done) => b.stop(done))
  }
})
