import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../src/core/address.js'
import { ms } from '../../src/core/time.js'
import { attach } from '../../src/drivers/attach.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { bindDatagram } from '../../src/drivers/promises.js'
import { jsonLine, spawnPlexus } from '../../src/cli/spawn.js'
import { PingNode, pingCodec, type PingEvent } from '../../src/protocols/ping/index.js'

test('the ping core measures RTT over real UDP on 127.0.0.1 (one process, two sockets)', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const responderSocket = await bindDatagram(env.net, address('127.0.0.1', 0))
  const pingerSocket = await bindDatagram(env.net, address('127.0.0.1', 0))
  assert.notEqual(responderSocket.local.port, 0)
  const responder = new PingNode(env.random)
  attach(responder, pingCodec, { clock: env.clock, socket: responderSocket, onEvent: () => {} })
  const pinger = new PingNode(env.random)
  const events: PingEvent[] = []
  await new Promise<void>((resolve) => {
    const attached = attach(pinger, pingCodec, {
      clock: env.clock,
      socket: pingerSocket,
      onEvent: (event) => {
        events.push(event)
        if (pinger.isIdle()) resolve()
      },
    })
    pinger.startSeries(env.clock.now(), responderSocket.local, 5, ms(10), 100)
    attached.flush()
  })
  responderSocket.close()
  pingerSocket.close()
  const pongs = events.filter((e) => e.type === 'pong_received')
  assert.equal(pongs.length, 5, JSON.stringify(events))
  for (const pong of pongs) assert.ok(pong.rttMs >= 0 && pong.rttMs < 5000)
  assert.equal(responder.inspect().pingsAnswered, 5)
})

test('two plexus processes ping each other over UDP on 127.0.0.1', async () => {
  const responder = spawnPlexus(['ping', '--listen', '--port', '0', '--json', '--exit-after', '4'])
  const listening = await responder.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? String(event['address']) : undefined
  })
  assert.match(listening, /^127\.0\.0\.1:\d+$/)
  const pinger = spawnPlexus(['ping', listening, '--count', '4', '--interval', '20', '--json'])
  const summary = await pinger.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'summary' ? event : undefined
  })
  assert.equal(summary['sent'], 4)
  assert.equal(summary['received'], 4)
  assert.equal(await pinger.exited, 0)
  assert.equal(await responder.exited, 0)
})
