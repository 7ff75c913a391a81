import assert from 'node:assert/strict'
import { createSocket } from 'node:dgram'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { longTermKey } from '../../protocols/stun/index.js'
import { PeerPolicy, turnServerConfig, type TurnClientEvent } from '../../protocols/turn/index.js'
import { createNodeEnv } from '../node/env.js'
import { bindDatagram, promised } from '../promises.js'
import { attachTurnClient } from './turn-client.js'
import { startTurnServer, type RunningTurnServer } from './turn-server.js'

const until = async (check: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

test('with a defer, the relay sends what it read only when the deferred flush runs, once per batch', async () => {
  const env = createNodeEnv()
  // The test holds deferred flushes and runs them itself: automatically while setting up,
  // by hand once `held` is set.
  const deferred: (() => void)[] = []
  let held = false
  const pump = setInterval(() => {
    if (!held) deferred.splice(0).forEach((fn) => fn())
  }, 2)
  const server = await promised<RunningTurnServer>((done) =>
    startTurnServer(
      { ...env, defer: (fn) => deferred.push(fn) },
      { host: '127.0.0.1', port: 0 },
      turnServerConfig({
        realm: 'plexus',
        relayHost: '127.0.0.1',
        keyOf: (user) => (user === 'u' ? longTermKey('u', 'plexus', 'p') : undefined),
        peerPolicy: PeerPolicy.loopbackOnly(),
      }),
      () => undefined,
      done,
    ),
  )
  const echoed: string[] = []
  const echo = createSocket('udp4')
  echo.on('message', (message, from) => {
    echoed.push(message.toString())
    echo.send(message, from.port, from.address)
  })
  await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve))
  const peer = { host: '127.0.0.1', port: echo.address().port }
  const socket = await bindDatagram(env.net, { host: '127.0.0.1', port: 0 })
  const events: TurnClientEvent[] = []
  const client = attachTurnClient(
    env,
    socket,
    { server: server.local, username: 'u', password: 'p' },
    (event) => events.push(event),
  )
  try {
    client.allocate()
    await until(() => events.some((e) => e.type === 'allocated'), 'allocation')
    client.permit([peer])
    client.bindChannel(peer)
    await until(() => events.some((e) => e.type === 'channel_bound'), 'channel')

    held = true
    for (const text of ['one', 'two', 'three']) client.send(peer, utf8(text))
    await until(() => deferred.length > 0, 'the first datagram read')
    // Give the relay time to read the other two: they join the flush already queued.
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.equal(deferred.length, 1)
    assert.deepEqual(echoed, [], 'nothing is relayed before the deferred flush runs')
    held = false
    await until(() => events.filter((e) => e.type === 'data').length === 3, 'three echoes')
    assert.deepEqual(echoed, ['one', 'two', 'three'])
    const data = events.flatMap((e) => (e.type === 'data' ? [fromUtf8(e.data)] : []))
    assert.deepEqual(data, ['one', 'two', 'three'])

    // A flush still queued when the server closes sends nothing.
    held = true
    client.send(peer, utf8('late'))
    await until(() => deferred.length > 0, 'the late datagram read')
    server.close()
    deferred.splice(0).forEach((fn) => fn())
    await new Promise((resolve) => setTimeout(resolve, 50))
    assert.deepEqual(echoed, ['one', 'two', 'three'])
  } finally {
    clearInterval(pump)
    client.detach()
    socket.close()
    echo.close()
    server.close()
  }
})
