import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../src/core/bytes.js'
import { DhtService } from '../../src/drivers/kademlia/dht-service.js'
import { startStunServer, type RunningStunServer } from '../../src/drivers/nat/stun-server.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { promised } from '../../src/drivers/promises.js'
import type { Reachability } from '../../src/peer/reachability.js'
import type { ReachabilityConfig, ReachSession } from '../../src/peer/reachability-types.js'
import type { PeerApi } from '../../src/peer/types.js'
import { startReachabilityPeer } from '../support/reachability-peer.js'

/**
 * Reachability between plexus peers on 127.0.0.1, real UDP: a DHT of plexus nodes, a peer that
 * serves as a relay and advertises it, a peer configured as unreachable (its host addresses
 * withheld, as a NATed peer's private ones would be useless) that finds the relay through the
 * DHT, reserves with it and publishes its signed record, and a third peer that reaches it by
 * its key alone: record from the DHT, offer through the relay's mailbox, session on the relay.
 */
const HOST = '127.0.0.1'
const LOCAL = { host: HOST, port: 0 }
const unixNow = (): number => Math.floor(Date.now() / 1000)

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

test('a NATed peer reserves with a relay found in the DHT, and a third peer reaches it by key', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const first = await DhtService.start({ env, bind: LOCAL })
  const helpers = [first]
  for (let i = 0; i < 4; i++) {
    const node = await DhtService.start({ env, bind: LOCAL, bootstrap: [first.address] })
    await node.joined
    helpers.push(node)
  }
  const peers: PeerApi[] = []
  const start = (reachability: ReachabilityConfig): Promise<Reachability> =>
    startReachabilityPeer(env, LOCAL, first.address, reachability, peers)
  // allocation ports for the relay: a range unlikely to be taken by another test run
  const portFirst = 30_000 + (process.pid % 2000) * 8
  // an RFC 5780 STUN server (two loopback addresses): the relay learns it is reachable by probing
  const stun = await promised<RunningStunServer>((done) =>
    startStunServer(
      env.net,
      { primary: { host: HOST, port: 0 }, alternate: { host: '127.0.0.2', port: 0 } },
      done,
    ),
  )
  try {
    const relay = await start({
      host: HOST,
      stun: stun.sockets[0]?.local ?? LOCAL,
      unixNow,
      relay: { port: 0, ports: { first: portFirst, count: 8 } },
      refreshSec: 2,
    })
    await until('the relay advertised', () => relay.status().relay?.advertised === true)
    assert.equal(relay.status().state, 'reachable')
    assert.deepEqual(relay.status().probe?.filtering, 'endpoint-independent')

    const nated = await start({
      host: HOST,
      assume: 'unreachable',
      unixNow,
      reservations: 1,
      advertiseHost: false,
      findRelaysEverySec: 1,
      refreshSec: 2,
    })
    await until('a reservation and a published record', () => {
      const status = nated.status()
      return status.reservations.length === 1 && status.recordStoredOn > 0
    })
    assert.equal(nated.status().reservations[0]?.relay, relay.status().relay?.control)
    assert.equal(relay.status().relay?.reservations, 1)

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
    assert.equal(reached.session.report()?.path, 'relayed')
    const answers: string[] = []
    reached.session.onData((bytes) => answers.push(fromUtf8(bytes)))
    // datagrams: the callee may select a moment after us, so ask again until it answers
    await until('an answer through the relay', () => {
      if (answers.length === 0) reached.session.send(utf8('hello'))
      return answers.length > 0
    })
    assert.equal(answers[0], 'echo hello')
    assert.ok(echoed.includes('hello'))
    const relayStatus = relay.status().relay
    assert.ok((relayStatus?.knocks ?? 0) >= 1, 'the offer came in as a knock')
    assert.equal(nated.status().sessions.incoming, 1)
    assert.equal(caller.status().sessions.outgoing, 1)
    reached.session.close()

    // a key nobody published is not found, and says so
    const unknown = await new Promise<string>((resolve) =>
      caller.connect(new Uint8Array(32).fill(5), (result) =>
        resolve(result.ok ? 'found' : result.error.code),
      ),
    )
    assert.equal(unknown, 'not_found')
  } finally {
    for (const peer of peers.reverse()) await promised<void>((done) => peer.stop(done))
    for (const node of helpers) await node.close()
    stun.close()
  }
})
