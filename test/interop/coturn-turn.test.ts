/**
 * TURN against coturn, both ways: plexus's TURN client allocates on coturn (long-term
 * credentials) and relays to a UDP echo on loopback, through Send/Data indications and a
 * channel; coturn's `turnutils_uclient` relays through plexus's relay to `turnutils_peer`.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { after, before, test } from 'node:test'
import type { Address } from '../../src/core/address.js'
import { fromUtf8, utf8 } from '../../src/core/bytes.js'
import { attachTurnClient, type TurnClientHandle } from '../../src/drivers/nat/turn-client.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { bindDatagram } from '../../src/drivers/promises.js'
import type { TurnClientEvent } from '../../src/protocols/turn/index.js'
import { spawnPlexus } from '../../src/cli/spawn.js'
import { event, spawnLines } from './reference.js'
import {
  freeUdpPair,
  requireCoturn,
  startCoturn,
  waitForStun,
  type Coturn,
} from './coturn-harness.js'

let coturn: Coturn
let echo: Socket
let echoPort: number

before(async () => {
  requireCoturn()
  coturn = await startCoturn([
    '--lt-cred-mech',
    '--user',
    'u:p',
    '--realm',
    'plexus',
    '--allow-loopback-peers',
  ])
  echo = createSocket('udp4')
  echo.on('message', (message, from) => echo.send(message, from.port, from.address))
  await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve))
  echoPort = echo.address().port
})

after(async () => {
  echo?.close()
  await coturn?.stop()
})

/** Resolves with the first client event that `match` picks, or fails after `timeoutMs`. */
function waitFor(
  events: TurnClientEvent[],
  match: (e: TurnClientEvent) => boolean,
  what: string,
  timeoutMs = 5000,
) {
  return new Promise<TurnClientEvent>((resolve, reject) => {
    const deadline = Date.now() + timeoutMs
    const poll = (): void => {
      const found = events.find(match)
      if (found !== undefined) return resolve(found)
      const failed = events.find((e) => e.type === 'failed')
      if (failed !== undefined) return reject(new Error(`${what}: ${JSON.stringify(failed)}`))
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(poll, 20)
    }
    poll()
  })
}

test('plexus TURN client allocates on coturn and relays to a UDP echo (indications, then a channel)', async () => {
  const env = createNodeEnv()
  const socket = await bindDatagram(env.net, { host: '127.0.0.1', port: 0 })
  const events: TurnClientEvent[] = []
  const client: TurnClientHandle = attachTurnClient(
    env,
    socket,
    {
      server: { host: '127.0.0.1', port: coturn.port },
      username: 'u',
      password: 'p',
      software: 'plexus',
    },
    (e) => events.push(e),
  )
  try {
    client.allocate()
    const allocated = await waitFor(events, (e) => e.type === 'allocated', 'allocation')
    assert.ok(allocated.type === 'allocated')
    assert.equal(allocated.mapped.port, socket.local.port)
    const peer: Address = { host: '127.0.0.1', port: echoPort }
    client.permit([peer])
    await waitFor(events, (e) => e.type === 'permitted', 'permission')
    client.send(peer, utf8('through coturn by indication'))
    const first = await waitFor(events, (e) => e.type === 'data', 'echo by Data indication')
    assert.ok(first.type === 'data' && first.channel === undefined)
    assert.equal(fromUtf8(first.data), 'through coturn by indication')
    assert.deepEqual(first.peer, peer)

    const channel = client.bindChannel(peer)
    await waitFor(events, (e) => e.type === 'channel_bound', 'channel bind')
    client.send(peer, utf8('through coturn by channel'))
    const second = await waitFor(
      events,
      (e) => e.type === 'data' && e.channel === channel,
      'echo by ChannelData',
    )
    assert.ok(second.type === 'data')
    assert.equal(fromUtf8(second.data), 'through coturn by channel')

    client.close()
    await waitFor(events, (e) => e.type === 'closed', 'allocation deleted')
  } finally {
    client.detach()
    socket.close()
  }
})

test('plexus TURN client sees coturn refuse a wrong password (401)', async () => {
  const env = createNodeEnv()
  const socket = await bindDatagram(env.net, { host: '127.0.0.1', port: 0 })
  const events: TurnClientEvent[] = []
  const client = attachTurnClient(
    env,
    socket,
    { server: { host: '127.0.0.1', port: coturn.port }, username: 'u', password: 'wrong' },
    (e) => events.push(e),
  )
  try {
    client.allocate()
    await assert.rejects(
      waitFor(events, (e) => e.type === 'allocated', 'allocation'),
      /"code":401/,
    )
  } finally {
    client.detach()
    socket.close()
  }
})

interface Relay {
  readonly port: number
  readonly lines: string[]
  stop(): Promise<number>
}

async function startRelay(extra: readonly string[] = []): Promise<Relay> {
  const port = await freeUdpPair()
  const relay = spawnPlexus(
    ['nat', 'relay', '--port', String(port), '--user', 'u:p', '--json', ...extra],
    false,
  )
  const lines: string[] = []
  relay.child.stdout?.on('data', (chunk: Buffer) =>
    lines.push(...chunk.toString().split('\n').filter(Boolean)),
  )
  await relay.waitForLine((line) => (event(line)?.type === 'listening' ? true : undefined), 15_000)
  await waitForStun('127.0.0.1', port)
  return { port, lines, stop: () => relay.stop() }
}

function uclient(relayPort: number, peerPort: number, extra: readonly string[]): string {
  const result = spawnSync(
    'turnutils_uclient',
    [
      '-u',
      'u',
      '-w',
      'p',
      '-p',
      String(relayPort),
      '-e',
      '127.0.0.1',
      '-r',
      String(peerPort),
      '-n',
      '50',
      '-c',
      ...extra,
      '127.0.0.1',
    ],
    { encoding: 'utf8', timeout: 60_000 },
  )
  return `${result.stdout}${result.stderr}`
}

async function withPeer<T>(run: (peerPort: number) => Promise<T>): Promise<T> {
  const peerPort = await freeUdpPair()
  const peer = spawnLines('turnutils_peer', ['-L', '127.0.0.1', '-p', String(peerPort)])
  try {
    await new Promise((resolve) => setTimeout(resolve, 300))
    return await run(peerPort)
  } finally {
    await peer.stop()
  }
}

test("turnutils_uclient relays through plexus's relay, by channels and by Send indications", async () => {
  const relay = await startRelay()
  try {
    await withPeer(async (peerPort) => {
      for (const mode of [[], ['-s']]) {
        const output = uclient(relay.port, peerPort, mode)
        assert.match(
          output,
          /tot_send_msgs=50, tot_recv_msgs=50/,
          `uclient ${mode.join(' ')}:\n${output.slice(-1500)}`,
        )
        assert.match(output, /Total lost packets 0 \(/)
      }
    })
    assert.ok(relay.lines.some((line) => event(line)?.type === 'allocated'))
  } finally {
    await relay.stop()
  }
})

test("plexus's relay refuses a wrong password and peers outside --allow-peer", async () => {
  const relay = await startRelay(['--allow-peer', '127.0.0.2/32'])
  try {
    await withPeer(async (peerPort) => {
      const wrongPassword = spawnSync(
        'turnutils_uclient',
        [
          '-u',
          'u',
          '-w',
          'bad',
          '-p',
          String(relay.port),
          '-e',
          '127.0.0.1',
          '-r',
          String(peerPort),
          '-n',
          '5',
          '-c',
          '127.0.0.1',
        ],
        { encoding: 'utf8', timeout: 30_000 },
      )
      assert.doesNotMatch(`${wrongPassword.stdout}${wrongPassword.stderr}`, /tot_recv_msgs=5\b/)
      const forbidden = uclient(relay.port, peerPort, [])
      assert.doesNotMatch(forbidden, /tot_recv_msgs=50/)
    })
    const codes = relay.lines
      .map((line) => event(line))
      .filter((e) => e?.type === 'refused')
      .map((e) => e?.['code'])
    assert.ok(codes.includes(401))
    assert.ok(codes.includes(403), `refusals: ${codes.join(', ')}`)
  } finally {
    await relay.stop()
  }
})
