/**
 * STUN over TCP (RFC 5389 section 7.2.2) on real sockets: an ICE agent with an S-O candidate
 * gathers its server-reflexive S-O candidate over a TCP connection from its fixed S-O port
 * (Node's `localPort`, through the Env's `ConnectOptions.local`), from coturn's TCP listener
 * and from plexus's own (`listenStunTcp`). On loopback there is no NAT: both must report the
 * S-O port itself, which proves the connection left from it and the answer was read.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, test } from 'node:test'
import type { Address } from '../../src/core/address.js'
import type { DatagramSocket, StreamListener } from '../../src/core/env.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { listenStunTcp } from '../../src/drivers/nat/stun-tcp-server.js'
import { IceAgent } from '../../src/protocols/holepunch/index.js'
import { parseCandidateLine } from '../../src/protocols/holepunch/candidate-line.js'
import { attachAgent } from '../../src/drivers/holepunch/attach-agent.js'
import type { SessionDescription } from '../../src/protocols/holepunch/index.js'
import { StunStreamReader, decodeStun, findAttribute } from '../../src/protocols/stun/index.js'
import { requireCoturn, startCoturn, type Coturn } from './coturn-harness.js'

let coturn: Coturn

before(async () => {
  requireCoturn()
  coturn = await startCoturn()
})

after(async () => {
  await coturn?.stop()
})

/** A TCP port free now (bound, then released): the S-O port. */
function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const bound = server.address()
      server.close(() => resolve(typeof bound === 'object' && bound !== null ? bound.port : 0))
    })
  })
}

interface Gathered {
  readonly description: SessionDescription
  /** XOR-MAPPED-ADDRESS of the answers read on the agent's TCP connections. */
  readonly mapped: Address[]
}

/** Gathers with one STUN server: the description the agent would signal, what it was told. */
async function gather(stun: Address, soPort: number): Promise<Gathered> {
  const env = createNodeEnv({ loopbackOnly: true })
  const socket = await new Promise<DatagramSocket>((ok, fail) =>
    env.net.bindDatagram({ host: '127.0.0.1', port: 0 }, (r) =>
      r.ok ? ok(r.value) : fail(r.error),
    ),
  )
  const agent = new IceAgent('controlling', env.random, [socket.local], {
    stunServers: [stun],
    gatherTimeoutMs: 3000,
    tcp: { so: { host: '127.0.0.1', port: soPort }, active: false },
  })
  const reader = new StunStreamReader()
  const mapped: Address[] = []
  const receive = agent.tcpReceive.bind(agent)
  agent.tcpReceive = (now, conn, bytes) => {
    for (const message of reader.push(bytes)) {
      const decoded = decodeStun(message)
      const address = decoded.ok
        ? findAttribute(decoded.value, 'xor-mapped-address')?.address
        : undefined
      if (address !== undefined) mapped.push(address)
    }
    receive(now, conn, bytes)
  }
  return new Promise((resolve) => {
    const channel = {
      send: () => undefined,
      onMessage: () => undefined,
      close: () => undefined,
    }
    const session = attachAgent(
      agent,
      socket,
      env.clock,
      channel,
      's',
      (event) => {
        if (event.type !== 'gathered') return
        session.close()
        resolve({ description: event.description, mapped })
      },
      { net: env.net },
    )
  })
}

function srflxSo(description: SessionDescription): Address | undefined {
  const candidates = (description.tcpCandidates ?? []).map(parseCandidateLine)
  return candidates.find((c) => c?.type === 'srflx' && c.tcpType === 'so')?.address
}

test('coturn answers Binding over TCP: the server-reflexive S-O candidate is the S-O port', async () => {
  const soPort = await freeTcpPort()
  const { description, mapped } = await gather({ host: '127.0.0.1', port: coturn.port }, soPort)
  assert.deepEqual(mapped, [{ host: '127.0.0.1', port: soPort }])
  // on loopback the mapped address is the host S-O candidate, so no candidate is added
  const lines = description.tcpCandidates ?? []
  assert.ok(
    lines.some((l) => l.includes(` 127.0.0.1 ${soPort} typ host tcptype so`)),
    lines.join('\n'),
  )
  assert.equal(srflxSo(description), undefined)
})

test('plexus answers Binding over TCP the same way, and a NAT-less mapping is the S-O port', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const listener = await new Promise<StreamListener>((ok, fail) =>
    listenStunTcp(env.net, { host: '127.0.0.1', port: 0 }, {}, (r) =>
      r.ok ? ok(r.value) : fail(r.error),
    ),
  )
  try {
    const soPort = await freeTcpPort()
    const { description, mapped } = await gather(listener.local, soPort)
    assert.deepEqual(mapped, [{ host: '127.0.0.1', port: soPort }])
    const lines = description.tcpCandidates ?? []
    assert.ok(lines.some((l) => l.includes(` 127.0.0.1 ${soPort} typ host tcptype so`)))
    assert.equal(srflxSo(description), undefined)
  } finally {
    listener.close()
  }
})
