import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import type { PeerPlugin } from '../../peer/types.js'
import { longTermKey, type NatReport } from '../../protocols/stun/index.js'
import { PeerPolicy, turnServerConfig, type TurnClientEvent } from '../../protocols/turn/index.js'
import { createNodeEnv } from '../node/env.js'
import { bindDatagram, promised } from '../promises.js'
import { probeNat } from './probe.js'
import { createRelayService } from './relay-service.js'
import { attachTurnClient } from './turn-client.js'

const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

test('the relay plug-in serves TURN and RFC 5780 STUN on loopback, and stops', async () => {
  const env = createNodeEnv()
  const relay = createRelayService(env, {
    turn: { host: '127.0.0.1', port: 0 },
    config: turnServerConfig({
      realm: 'plexus',
      relayHost: '127.0.0.1',
      keyOf: (user) => (user === 'u' ? longTermKey('u', 'plexus', 'p') : undefined),
      peerPolicy: PeerPolicy.loopbackOnly(),
    }),
    stun: { primary: { host: '127.0.0.1', port: 0 }, alternate: { host: '127.0.0.2', port: 0 } },
  })
  const plugin: PeerPlugin = relay // the Peer accepts it as it is
  await promised<void>((done) => plugin.start(done))
  const status = relay.status()
  assert.equal(status['running'], true)
  const [host, port] = String(status['turn']).split(':')
  const stunSockets = status['stun'] as string[]
  assert.equal(stunSockets.length, 4)

  const echo = createSocket('udp4')
  echo.on('message', (message, from) => echo.send(message, from.port, from.address))
  await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve))
  const peer = { host: '127.0.0.1', port: echo.address().port }
  const socket = await bindDatagram(env.net, { host: '127.0.0.1', port: 0 })
  const events: TurnClientEvent[] = []
  const client = attachTurnClient(
    env,
    socket,
    { server: { host: host as string, port: Number(port) }, username: 'u', password: 'p' },
    (event) => events.push(event),
  )
  try {
    client.allocate()
    await until(() => events.some((e) => e.type === 'allocated'), 'allocation')
    client.permit([peer])
    client.bindChannel(peer)
    await until(() => events.some((e) => e.type === 'channel_bound'), 'channel')
    client.send(peer, utf8('via the plug-in'))
    await until(() => events.some((e) => e.type === 'data'), 'echo')
    const data = events.find((e) => e.type === 'data')
    assert.ok(data?.type === 'data' && fromUtf8(data.data) === 'via the plug-in')
    assert.equal(relay.status()['allocations'], 1)

    const [stunHost, stunPort] = (stunSockets[0] as string).split(':')
    const probeSocket = await bindDatagram(env.net, { host: '127.0.0.1', port: 0 })
    const report = await new Promise<NatReport>((resolve) =>
      probeNat(
        env,
        probeSocket,
        {
          server: { host: stunHost as string, port: Number(stunPort) },
          local: [probeSocket.local],
        },
        resolve,
      ),
    )
    probeSocket.close()
    assert.equal(report.rfc5780, true)
    assert.equal(report.mapping, 'no-nat')
    assert.equal(report.filtering, 'endpoint-independent')
  } finally {
    client.detach()
    socket.close()
    echo.close()
    await promised<void>((done) => plugin.stop(done))
  }
  assert.equal(relay.status()['running'], false)
})
