/**
 * The anonymous tracker transport against a real plexus HTTP tracker on loopback, with a
 * stream opener standing in for the circuit (a plain TCP socket that records where it was
 * asked to go): every announce is a stream the opener opens, UDP is refused without one,
 * an oversized answer is cut off, a cancelled announce never reports.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { after, before, test } from 'node:test'
import { NodeClock } from '../node/clock.js'
import { startHttpTracker, type HttpTracker } from '../node/http-tracker.js'
import { CryptoRandom } from '../node/random.js'
import type { AnnounceRequest } from '../bittorrent/tracker-transport.js'
import { OnionTrackerTransport } from './onion-tracker-transport.js'

let tracker: HttpTracker

before(async () => {
  tracker = await startHttpTracker({
    local: { host: '127.0.0.1', port: 0 },
    clock: new NodeClock(),
    random: new CryptoRandom(),
  })
})

after(async () => {
  await tracker.close()
})

/** An opener that dials directly, remembering each destination (the "exit"'s view). */
function recordingOpener() {
  const destinations: string[] = []
  const sockets: Socket[] = []
  return {
    destinations,
    sockets,
    connect: (host: string, port: number): Promise<Duplex> =>
      new Promise((resolve, reject) => {
        destinations.push(`${host}:${port}`)
        const socket = connect(port, host, () => resolve(socket))
        sockets.push(socket)
        socket.once('error', reject)
      }),
  }
}

const request = (url: string, peerByte: number, port: number): AnnounceRequest => ({
  url,
  infoHash: new Uint8Array(20).fill(7),
  peerId: new Uint8Array(20).fill(peerByte),
  port,
  uploaded: 0,
  downloaded: 0,
  left: 100,
  event: 'started',
  numwant: 50,
  key: 1,
})

const announce = (transport: OnionTrackerTransport, announced: AnnounceRequest) =>
  new Promise<Parameters<Parameters<OnionTrackerTransport['announce']>[1]>[0]>((resolve) =>
    transport.announce(announced, resolve),
  )

test('announces go through the opener and the answer lists the other peer', async () => {
  const opener = recordingOpener()
  const transport = new OnionTrackerTransport(opener)
  const first = await announce(transport, request(tracker.announceUrl, 1, 6001))
  assert.ok(first.ok, JSON.stringify(first))
  const second = await announce(transport, request(tracker.announceUrl, 2, 6002))
  assert.ok(second.ok, JSON.stringify(second))
  assert.deepEqual(
    second.value.peers.map((peer) => peer.port),
    [6001],
  )
  const trackerAt = `${tracker.address.host}:${tracker.address.port}`
  assert.deepEqual(opener.destinations, [trackerAt, trackerAt])
  transport.close()
})

test('a UDP tracker is unsupported and opens no stream', async () => {
  const opener = recordingOpener()
  const result = await announce(
    new OnionTrackerTransport(opener),
    request('udp://127.0.0.1:6969/announce', 1, 6001),
  )
  assert.ok(!result.ok)
  assert.equal(result.error.code, 'unsupported')
  assert.deepEqual(opener.destinations, [])
})

test('an answer larger than 2 MiB is cut off as a network error', async () => {
  const big = createServer((_request, response) => {
    response.writeHead(200)
    response.end(Buffer.alloc(3 * 1024 * 1024, 0x61))
  })
  await new Promise<void>((resolve) => big.listen(0, '127.0.0.1', resolve))
  const { port } = big.address() as AddressInfo
  try {
    const result = await announce(
      new OnionTrackerTransport(recordingOpener()),
      request(`http://127.0.0.1:${port}/announce`, 1, 6001),
    )
    assert.ok(!result.ok)
    assert.equal(result.error.code, 'network')
    assert.match(result.error.message, /larger than/)
  } finally {
    big.close()
  }
})

test('a cancelled announce never reports and its stream is destroyed', async () => {
  // A server that accepts and never answers: the announce waits until cancelled.
  const silent = createServer(() => undefined)
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const { port } = silent.address() as AddressInfo
  const opener = recordingOpener()
  const transport = new OnionTrackerTransport(opener)
  let reported = false
  const handle = transport.announce(request(`http://127.0.0.1:${port}/announce`, 1, 6001), () => {
    reported = true
  })
  try {
    while (opener.sockets.length === 0 || opener.sockets[0]?.connecting === true)
      await new Promise((resolve) => setImmediate(resolve))
    handle.cancel()
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(reported, false)
    assert.equal(opener.sockets[0]?.destroyed, true)
  } finally {
    silent.closeAllConnections()
    silent.close()
  }
})
