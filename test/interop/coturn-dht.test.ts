/**
 * coturn as a plexus relay found through the DHT: a plexus peer holding coturn's shared secret
 * (`use-auth-secret`) vouches for it with a signed `relay` record (turn-sponsor.ts); a peer
 * configured as unreachable finds the record through the DHT (announce + IDENTIFY), keeps its
 * reservation as a TURN allocation on coturn itself, and publishes its `reachable` record; a
 * third peer reaches it by key, allocating on coturn with the credentials of that record. All
 * on 127.0.0.1 with a DHT of plexus nodes; coturn is ended by its PID.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../src/core/bytes.js'
import { DhtService } from '../../src/drivers/kademlia/dht-service.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { promised } from '../../src/drivers/promises.js'
import type { Reachability } from '../../src/peer/reachability.js'
import type { ReachabilityConfig, ReachSession } from '../../src/peer/reachability-types.js'
import type { PeerApi } from '../../src/peer/types.js'
import { startReachabilityPeer } from '../support/reachability-peer.js'
import { requireCoturn, startCoturn, type Coturn } from './coturn-harness.js'

const HOST = '127.0.0.1'
const LOCAL = { host: HOST, port: 0 }
const REALM = 'plexus-interop'
const unixNow = (): number => Math.floor(Date.now() / 1000)

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

test('a NATed peer reserves on coturn found through the DHT, and a third peer reaches it through coturn', async () => {
  requireCoturn()
  const secret = randomBytes(16).toString('hex')
  const coturn: Coturn = await startCoturn([
    '--use-auth-secret',
    '--static-auth-secret',
    secret,
    '--realm',
    REALM,
    '--allow-loopback-peers',
    // one relayed host: a reservation permits the relay's own relayed host (turn-reservations.ts)
    '--relay-ip',
    HOST,
  ])
  const env = createNodeEnv({ loopbackOnly: true })
  const helpers: DhtService[] = []
  const peers: PeerApi[] = []
  try {
    const first = await DhtService.start({ env, bind: LOCAL })
    helpers.push(first)
    for (let i = 0; i < 4; i++) {
      const node = await DhtService.start({ env, bind: LOCAL, bootstrap: [first.address] })
      await node.joined
      helpers.push(node)
    }
    const start = (reachability: ReachabilityConfig): Promise<Reachability> =>
      startReachabilityPeer(env, LOCAL, first.address, reachability, peers)
    const coturnAddress = `${HOST}:${coturn.port}`
    const sponsor = await start({
      host: HOST,
      assume: 'reachable',
      unixNow,
      turnSponsor: { server: { host: HOST, port: coturn.port }, realm: REALM, secret },
      refreshSec: 2,
    })
    await until('the sponsor stored its record', () => {
      const stored = sponsor.status().turnSponsor?.['recordStoredOn']
      return typeof stored === 'number' && stored > 0
    })
    assert.equal(sponsor.status().turnSponsor?.['server'], coturnAddress)

    const nated = await start({
      host: HOST,
      assume: 'unreachable',
      unixNow,
      reservations: 1,
      advertiseHost: false,
      findRelaysEverySec: 1,
      refreshSec: 2,
    })
    await until('a reservation on coturn and a published record', () => {
      const status = nated.status()
      return status.reservations.length === 1 && status.recordStoredOn > 0
    })
    const reservation = nated.status().reservations[0]
    assert.equal(reservation?.relay, coturnAddress, 'the reservation is on coturn itself')
    assert.equal(reservation?.protocol, 'turn')
    // the mailbox is an address coturn relays from (one of its allocations), not the sponsor's
    assert.notEqual(reservation?.mailbox, sponsor.status().turnSponsor?.['identify'])

    const echoed: string[] = []
    nated.onSession((incoming) => {
      incoming.session.onData((bytes) => {
        echoed.push(fromUtf8(bytes))
        incoming.session.send(utf8(`echo ${fromUtf8(bytes)}`))
      })
    })
    const caller = await start({ host: HOST, assume: 'reachable', unixNow })
    const reached = await promised<ReachSession>((done) => caller.connect(nated.key, done))
    assert.equal(reached.direction, 'outgoing')
    const report = reached.session.report()
    assert.equal(report?.path, 'relayed')
    const answers: string[] = []
    reached.session.onData((bytes) => answers.push(fromUtf8(bytes)))
    await until('an answer through coturn', () => {
      if (answers.length === 0) reached.session.send(utf8('hello'))
      return answers.length > 0
    })
    assert.equal(answers[0], 'echo hello')
    assert.ok(echoed.includes('hello'))
    assert.equal(nated.status().sessions.incoming, 1)
    reached.session.close()
  } finally {
    for (const peer of peers.reverse()) await promised<void>((done) => peer.stop(done))
    for (const node of helpers) await node.close()
    await coturn.stop()
  }
})
