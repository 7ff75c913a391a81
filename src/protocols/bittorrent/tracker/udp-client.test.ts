import assert from 'node:assert/strict'
import { test } from 'node:test'
import { address } from '../../../core/address.js'
import type { Output } from '../../../core/core.js'
import { SeededRandom } from '../../../core/random.js'
import { instant, seconds } from '../../../core/time.js'
import { UdpTrackerClient } from './udp-client.js'
import { DEFAULT_UDP_TRACKER_CONFIG } from './udp-client-config.js'
import type { UdpRequestId, UdpTrackerEvent, UdpTrackerMessage } from './udp-messages.js'
import { udpAnnounceResponse, udpTrackerError, type UdpAnnounceParams } from './udp-request.js'

const tracker = address('10.0.0.9', 6969)
const stranger = address('10.0.0.66', 6969)
const params: UdpAnnounceParams = {
  infoHash: new Uint8Array(20).fill(1),
  peerId: new Uint8Array(20).fill(2),
  downloaded: 0,
  left: 100,
  uploaded: 0,
  event: 'started',
  key: 7,
  numWant: 50,
  port: 6881,
}
const CONNECTION = 0x1122334455667788n

type Out = Output<UdpTrackerMessage, UdpTrackerEvent>

function sent(outputs: Out[]): UdpTrackerMessage[] {
  return outputs.flatMap((o) => (o.type === 'send' ? [o.message] : []))
}
function events(outputs: Out[]): UdpTrackerEvent[] {
  return outputs.flatMap((o) => (o.type === 'event' ? [o.event] : []))
}
/** The single datagram just sent, checked to be of `type`. */
function only<T extends UdpTrackerMessage['type']>(client: UdpTrackerClient, type: T) {
  const messages = sent(client.takeOutputs())
  assert.equal(messages.length, 1)
  const message = messages[0] as UdpTrackerMessage
  assert.equal(message.type, type)
  return message as Extract<UdpTrackerMessage, { type: T }>
}

function connected(client: UdpTrackerClient, at: number): void {
  const connect = only(client, 'connect_request')
  client.receive(instant(at), tracker, {
    type: 'connect_response',
    transactionId: connect.transactionId,
    connectionId: CONNECTION,
  })
}

test('connects, then announces with the connection id, then reports the answer', () => {
  const client = new UdpTrackerClient(new SeededRandom(1))
  const id = client.announce(instant(0), tracker, params)
  connected(client, 10)
  const announce = only(client, 'announce_request')
  assert.equal(announce.connectionId, CONNECTION)
  assert.equal(announce.event, 'started')
  const peers = [address('10.0.0.1', 6881)]
  client.receive(instant(20), tracker, {
    type: 'announce_response',
    transactionId: announce.transactionId,
    interval: 1800,
    leechers: 3,
    seeders: 4,
    peers,
  })
  assert.deepEqual(events(client.takeOutputs()), [
    {
      type: 'announce_succeeded',
      requestId: id,
      interval: seconds(1800),
      leechers: 3,
      seeders: 4,
      peers,
    },
  ])
  assert.equal(client.nextTimeout(), undefined)
})

test('converts UDP outcomes into what the announcer takes', () => {
  const requestId = 1 as UdpRequestId
  const peers = [address('10.0.0.1', 6881)]
  const interval = seconds(60)
  const event = { type: 'announce_succeeded', requestId, interval, leechers: 1, seeders: 2, peers }
  assert.deepEqual(udpAnnounceResponse({ ...event, type: 'announce_succeeded' }), {
    interval,
    complete: 2,
    incomplete: 1,
    peers,
  })
  assert.deepEqual(udpTrackerError('timeout', 'x'), { code: 'timeout', message: 'x' })
  assert.deepEqual(udpTrackerError('error', 'no'), { code: 'tracker_failure', message: 'no' })
})

test('reuses the connection id within its minute, and connects again after it', () => {
  const client = new UdpTrackerClient(new SeededRandom(2))
  client.announce(instant(0), tracker, params)
  connected(client, 1_000) // valid until 61_000
  only(client, 'announce_request')
  client.announce(instant(60_999), tracker, params)
  assert.equal(only(client, 'announce_request').connectionId, CONNECTION)
  client.scrape(instant(61_000), tracker, [params.infoHash])
  only(client, 'connect_request')
})

test('retransmits after 15, 30, 60 s (BEP 15) and fails after retransmitsMax', () => {
  const client = new UdpTrackerClient(new SeededRandom(3), {
    ...DEFAULT_UDP_TRACKER_CONFIG,
    retransmitsMax: 2,
  })
  const id = client.announce(instant(0), tracker, params)
  const first = only(client, 'connect_request')
  assert.equal(client.nextTimeout(), 15_000)
  client.timeout(instant(14_999))
  assert.deepEqual(client.takeOutputs(), [])
  client.timeout(instant(15_000))
  // A retransmission keeps its transaction id, so a late answer to the first copy still counts.
  assert.equal(only(client, 'connect_request').transactionId, first.transactionId)
  assert.equal(client.nextTimeout(), 45_000)
  client.timeout(instant(45_000))
  only(client, 'connect_request')
  assert.equal(client.nextTimeout(), 105_000)
  client.timeout(instant(105_000))
  const [failed] = events(client.takeOutputs())
  assert.equal(failed?.type, 'announce_failed')
  assert.ok(failed?.type === 'announce_failed' && failed.reason === 'timeout')
  assert.equal(failed.requestId, id)
  assert.equal(client.inspect().pending, 0)
})

test('the retransmit base is configurable for tests and the simulator', () => {
  const client = new UdpTrackerClient(new SeededRandom(4), {
    ...DEFAULT_UDP_TRACKER_CONFIG,
    retransmitBase: seconds(1),
  })
  client.announce(instant(0), tracker, params)
  const deadlines: number[] = []
  for (let i = 0; i < 4; i++) {
    const next = client.nextTimeout() as number
    deadlines.push(next)
    client.timeout(instant(next))
    client.takeOutputs()
  }
  assert.deepEqual(deadlines, [1_000, 3_000, 7_000, 15_000])
})

test('connects again when the connection id expires during retransmissions', () => {
  const client = new UdpTrackerClient(new SeededRandom(5))
  client.announce(instant(0), tracker, params)
  connected(client, 0) // valid until 60 s
  only(client, 'announce_request') // waits until 15 s
  client.timeout(instant(15_000))
  only(client, 'announce_request') // until 45 s
  client.timeout(instant(45_000))
  only(client, 'announce_request') // until 105 s: the id has expired by then
  client.timeout(instant(105_000))
  only(client, 'connect_request')
})

test('ignores answers from the wrong address or with the wrong transaction id', () => {
  const client = new UdpTrackerClient(new SeededRandom(6))
  client.announce(instant(0), tracker, params)
  const connect = only(client, 'connect_request')
  const answer = { type: 'connect_response', transactionId: connect.transactionId } as const
  client.receive(instant(1), stranger, { ...answer, connectionId: 1n })
  client.receive(instant(1), tracker, {
    ...answer,
    transactionId: (connect.transactionId + 1) >>> 0,
    connectionId: 1n,
  })
  client.receive(instant(1), tracker, { type: 'connect_request', transactionId: 1 })
  assert.deepEqual(client.takeOutputs(), [])
  assert.equal(client.inspect().unmatched, 3)
  client.receive(instant(2), tracker, { ...answer, connectionId: CONNECTION })
  assert.equal(only(client, 'announce_request').connectionId, CONNECTION)
})

test('an error action fails the request with the tracker message', () => {
  const client = new UdpTrackerClient(new SeededRandom(7))
  const id = client.scrape(instant(0), tracker, [params.infoHash])
  connected(client, 5)
  const scrape = only(client, 'scrape_request')
  const transactionId = scrape.transactionId
  client.receive(instant(6), tracker, { type: 'error', transactionId, message: 'banned' })
  assert.deepEqual(events(client.takeOutputs()), [
    { type: 'scrape_failed', requestId: id, reason: 'error', message: 'banned' },
  ])
})

test('a scrape answer maps entries to the info-hashes in order', () => {
  const client = new UdpTrackerClient(new SeededRandom(8))
  const other = new Uint8Array(20).fill(9)
  const id = client.scrape(instant(0), tracker, [params.infoHash, other])
  connected(client, 1)
  const { transactionId } = only(client, 'scrape_request')
  const entries = [
    { seeders: 1, completed: 2, leechers: 3 },
    { seeders: 4, completed: 5, leechers: 6 },
  ]
  client.receive(instant(2), tracker, { type: 'scrape_response', transactionId, entries })
  assert.deepEqual(events(client.takeOutputs()), [
    {
      type: 'scrape_succeeded',
      requestId: id,
      files: [
        { infoHash: params.infoHash, complete: 1, downloaded: 2, incomplete: 3 },
        { infoHash: other, complete: 4, downloaded: 5, incomplete: 6 },
      ],
    },
  ])
})

test('bounds outstanding requests and forgets cancelled ones', () => {
  const client = new UdpTrackerClient(new SeededRandom(9), {
    ...DEFAULT_UDP_TRACKER_CONFIG,
    requestsMax: 1,
  })
  const first = client.announce(instant(0), tracker, params)
  const connect = only(client, 'connect_request')
  const second = client.announce(instant(0), tracker, params)
  const [refused] = events(client.takeOutputs())
  assert.ok(refused?.type === 'announce_failed' && refused.requestId === second)
  assert.equal(refused.reason, 'error')
  assert.ok(client.cancel(first))
  assert.equal(client.cancel(first), false)
  const transactionId = connect.transactionId
  client.receive(instant(1), tracker, { type: 'connect_response', transactionId, connectionId: 1n })
  assert.deepEqual(client.takeOutputs(), [])
  assert.equal(client.nextTimeout(), undefined)
})
