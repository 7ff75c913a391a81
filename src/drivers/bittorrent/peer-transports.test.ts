import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../core/address.js'
import type {
  Callback,
  ConnectOptions,
  ListenOptions,
  Net,
  StreamListener,
  StreamSocket,
} from '../../core/env.js'
import { OperationalError } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { seconds } from '../../core/time.js'
import { listenPeers, NO_UTP_PEERS_MAX, peerNet, UTP_ATTEMPT_TIMEOUT } from './peer-transports.js'

/** A Net that records requests and answers them as told, synchronously (enough here). */
class ScriptedNet implements Net {
  readonly connects: { transport: string; timeout: number | undefined }[] = []
  readonly listens: { port: number; transport: string }[] = []
  constructor(
    private readonly utpWorks: boolean,
    private readonly udpPortFree = true,
  ) {}
  bindDatagram(): void {
    throw new Error('unused')
  }
  listen(
    local: Address,
    _onConnection: (socket: StreamSocket) => void,
    ready: Callback<StreamListener>,
    options?: ListenOptions,
  ): void {
    const transport = options?.transport ?? 'tcp'
    const port = local.port === 0 ? 40000 : local.port
    this.listens.push({ port, transport })
    if (transport === 'utp' && !this.udpPortFree) {
      return ready(err(new OperationalError('address_in_use', 'taken')))
    }
    ready(ok({ local: { host: local.host, port }, close: () => undefined }))
  }
  connect(_remote: Address, ready: Callback<StreamSocket>, options?: ConnectOptions): void {
    const transport = options?.transport ?? 'tcp'
    this.connects.push({ transport, timeout: options?.timeout })
    if (transport === 'utp' && !this.utpWorks) {
      return ready(err(new OperationalError('timeout', 'no answer')))
    }
    ready(ok({ remote: _remote } as unknown as StreamSocket))
  }
}

const remote = { host: '127.0.0.1', port: 6881 }

test("'both' tries uTP first with a short timeout and falls back to TCP", () => {
  const net = new ScriptedNet(false)
  let outcome: string | undefined
  peerNet(net, 'both').connect(remote, (r) => (outcome = r.ok ? 'ok' : r.error.code), {
    timeout: seconds(10),
  })
  assert.equal(outcome, 'ok')
  assert.deepEqual(net.connects, [
    { transport: 'utp', timeout: UTP_ATTEMPT_TIMEOUT },
    { transport: 'tcp', timeout: seconds(10) },
  ])
})

test("'both' remembers a peer without uTP: its next connects go straight to TCP", () => {
  const net = new ScriptedNet(false)
  const peers = peerNet(net, 'both')
  const other = { host: '127.0.0.2', port: 6881 }
  for (const to of [remote, remote, other, remote]) peers.connect(to, () => undefined)
  assert.deepEqual(
    net.connects.map((c) => c.transport),
    ['utp', 'tcp', 'tcp', 'utp', 'tcp', 'tcp'],
  )
})

test('the memory of peers without uTP is bounded: the oldest is forgotten', () => {
  const net = new ScriptedNet(false)
  const peers = peerNet(net, 'both')
  for (let i = 0; i <= NO_UTP_PEERS_MAX; i++) {
    peers.connect({ host: '10.0.0.1', port: 1 + i }, () => undefined)
  }
  net.connects.length = 0
  peers.connect({ host: '10.0.0.1', port: 2 }, () => undefined)
  peers.connect({ host: '10.0.0.1', port: 1 }, () => undefined)
  assert.deepEqual(
    net.connects.map((c) => c.transport),
    ['tcp', 'utp', 'tcp'],
    'the second peer is still known; the first was forgotten, so uTP is asked again',
  )
})

test("'both' stays on uTP when it connects; 'utp' never tries TCP; 'tcp' never tries uTP", () => {
  const working = new ScriptedNet(true)
  peerNet(working, 'both').connect(remote, () => undefined)
  assert.deepEqual(
    working.connects.map((c) => c.transport),
    ['utp'],
  )
  const utpOnly = new ScriptedNet(false)
  let code: string | undefined
  peerNet(utpOnly, 'utp').connect(remote, (r) => (code = r.ok ? 'ok' : r.error.code))
  assert.equal(code, 'timeout')
  assert.deepEqual(
    utpOnly.connects.map((c) => c.transport),
    ['utp'],
  )
  const tcpOnly = new ScriptedNet(true)
  peerNet(tcpOnly, 'tcp').connect(remote, () => undefined)
  assert.deepEqual(
    tcpOnly.connects.map((c) => c.transport),
    ['tcp'],
  )
})

test('a connect asking for uTP (a BEP 55 punch) gets uTP alone, even for a peer remembered without it', () => {
  const net = new ScriptedNet(false)
  const peers = peerNet(net, 'both')
  peers.connect(remote, () => undefined)
  net.connects.length = 0
  let code: string | undefined
  peers.connect(remote, (r) => (code = r.ok ? 'ok' : r.error.code), { transport: 'utp' })
  assert.equal(code, 'timeout', 'no TCP fallback: a punch over TCP cannot cross the NAT')
  assert.deepEqual(
    net.connects.map((c) => c.transport),
    ['utp'],
  )
  const tcpOnly = new ScriptedNet(true)
  peerNet(tcpOnly, 'tcp').connect(remote, () => undefined, { transport: 'utp' })
  assert.deepEqual(
    tcpOnly.connects.map((c) => c.transport),
    ['tcp'],
    "'tcp' keeps uTP off, punches included",
  )
})

test('listening under both binds uTP on the TCP port number; a taken UDP port leaves TCP', () => {
  const net = new ScriptedNet(true)
  let port: number | undefined
  listenPeers(
    net,
    { host: '127.0.0.1', port: 0 },
    'both',
    () => undefined,
    (r) => {
      port = r.ok ? r.value.local.port : undefined
    },
  )
  assert.equal(port, 40000)
  assert.deepEqual(net.listens, [
    { port: 40000, transport: 'tcp' },
    { port: 40000, transport: 'utp' },
  ])
  const taken = new ScriptedNet(true, false)
  let tookTcp = false
  listenPeers(
    taken,
    { host: '127.0.0.1', port: 0 },
    'both',
    () => undefined,
    (r) => {
      tookTcp = r.ok
    },
  )
  assert.ok(tookTcp)
})
