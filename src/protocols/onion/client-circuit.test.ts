import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SeededRandom } from '../../core/random.js'
import { NodeOnionCrypto } from '../../drivers/onion/node-crypto.js'
import { CellCommand } from './cell.js'
import { ClientCircuit, randomInitiatorCircId, type CircuitEvent } from './client-circuit.js'
import { encodeCreate2 } from './control-cells.js'
import { CIRCUIT_WINDOW, DeliverWindow, PackageWindow, STREAM_WINDOW } from './flow-control.js'
import { splitHopKeys } from './kdf.js'
import {
  MemoryPath,
  makeMemoryRelays,
  memoryLinkSpecifiers,
  relayKey,
  type MemoryPathHooks,
} from './memory-relays.js'
import { ntorClientFinish, ntorClientStart, ntorKeyMaterial } from './ntor.js'
import { RelayCommand, encodeRelayCell } from './relay-cell.js'
import { HopCryptoLayer } from './relay-crypto.js'
import { RelayHop } from './relay-hop.js'
import { EndReason, encodeSendme } from './relay-messages.js'

const crypto = new NodeOnionCrypto()

function threeHops(seed: number, hooks: MemoryPathHooks = {}) {
  const random = new SeededRandom(seed)
  const relays = makeMemoryRelays(crypto, random.fork('relays'), 3)
  const client = new ClientCircuit(crypto, random.fork('client'), randomInitiatorCircId(random))
  const path = new MemoryPath(crypto, random.fork('path'), relays, client, hooks)
  path.run(client.create(relayKey(relays[0]!)))
  for (const index of [1, 2])
    path.run(client.extend(relayKey(relays[index]!), memoryLinkSpecifiers(relays[index]!, index)))
  return { client, path, relays }
}

const closed = (events: CircuitEvent[]) => events.find((event) => event.type === 'closed')

test('telescopes to three hops and carries a stream end to end', () => {
  const { client, path, relays } = threeHops(1)
  assert.equal(client.hops, 3)
  assert.ok(randomInitiatorCircId(new SeededRandom(3)) >= 0x80000000)
  const { streamId, events } = client.begin('127.0.0.1', 8080)
  path.run(events)
  assert.ok(path.clientEvents.some((e) => e.type === 'stream-connected' && e.streamId === streamId))
  const message = new Uint8Array(2000).map((_, i) => i % 251)
  path.run(client.write(streamId, message))
  const echoed = path.clientEvents.flatMap((e) => (e.type === 'stream-data' ? [...e.data] : []))
  assert.deepEqual(echoed, [...message])
  // No relay's view holds both the client and the destination.
  for (const relay of relays)
    assert.ok(
      !(relay.seen.includes('client') && relay.seen.includes('127.0.0.1:8080')),
      relay.seen.join(),
    )
  assert.ok(relays[2]!.seen.includes('127.0.0.1:8080'))
})

test('a cell altered at any hop, either direction, is detected and closes the circuit', () => {
  for (const hopIndex of [0, 1, 2]) {
    let armed = false
    const flip = (index: number, payload: Uint8Array): Uint8Array => {
      if (!armed || index !== hopIndex) return payload
      const altered = payload.slice()
      altered[100]! ^= 1
      return altered
    }
    const backward = threeHops(10 + hopIndex, { tamperBackward: flip })
    const { streamId, events } = backward.client.begin('127.0.0.1', 80)
    armed = true
    backward.path.run(events)
    const event = closed(backward.path.clientEvents)
    assert.ok(
      event !== undefined && event.type === 'closed' && event.fault?.code === 'malformed',
      `backward at hop ${hopIndex}`,
    )
    assert.ok(
      !backward.path.clientEvents.some(
        (e) => e.type === 'stream-connected' && e.streamId === streamId,
      ),
    )

    // Forward, a cell can be altered as it leaves the first or the middle relay.
    if (hopIndex === 2) continue
    armed = false
    const forward = threeHops(20 + hopIndex, { tamperForward: flip })
    armed = true
    forward.path.run(forward.client.begin('127.0.0.1', 80).events)
    // The last hop cannot recognize it and refuses it; no stream opens.
    assert.deepEqual(forward.relays[2]!.refusals, ['unrecognized relay cell at the last hop'])
    assert.ok(!forward.path.clientEvents.some((e) => e.type === 'stream-connected'))
  }
})

test('more than 8 RELAY_EARLY cells on a circuit are refused by the relay', () => {
  const random = new SeededRandom(5)
  const [relay] = makeMemoryRelays(crypto, random, 1)
  const start = ntorClientStart(crypto, relayKey(relay!), random.bytes(32))
  const accepted = RelayHop.accept(
    crypto,
    random,
    relay!.secret,
    encodeCreate2({ handshakeType: 2, handshakeData: start.onionskin }),
    () => true,
  )
  assert.ok(accepted.ok)
  const reply = accepted.value.created2.slice(2)
  const seed = ntorClientFinish(crypto, start.state, reply)
  assert.ok(seed.ok)
  const layer = new HopCryptoLayer(
    crypto,
    splitHopKeys(ntorKeyMaterial(crypto, seed.value)),
    'client',
  )
  const outcomes = Array.from({ length: 9 }, () =>
    accepted.value.hop.fromClient(
      CellCommand.RELAY_EARLY,
      layer.seal(
        encodeRelayCell({ command: RelayCommand.DROP, streamId: 0, data: new Uint8Array(0) }),
      ).payload,
    ),
  )
  assert.deepEqual(
    outcomes.slice(0, 8).map((o) => o.type),
    Array(8).fill('recognized'),
  )
  const ninth = outcomes[8]!
  assert.ok(ninth.type === 'refused' && ninth.fault.code === 'limit_exceeded')
})

test('the client itself refuses to extend a ninth time', () => {
  const random = new SeededRandom(6)
  const relays = makeMemoryRelays(crypto, random.fork('relays'), 10)
  const client = new ClientCircuit(crypto, random.fork('client'), 0x80000001)
  const path = new MemoryPath(crypto, random.fork('path'), relays, client)
  path.run(client.create(relayKey(relays[0]!)))
  for (let index = 1; index <= 8; index++)
    path.run(client.extend(relayKey(relays[index]!), memoryLinkSpecifiers(relays[index]!, index)))
  assert.equal(client.hops, 9)
  const events = client.extend(relayKey(relays[9]!), memoryLinkSpecifiers(relays[9]!, 9))
  const event = closed(events)
  assert.ok(event?.type === 'closed' && event.fault?.code === 'limit_exceeded')
})

test('an exit overrunning a paused stream window gets the stream refused', () => {
  const { client, path } = threeHops(7)
  const { streamId, events } = client.begin('127.0.0.1', 80)
  path.run(events)
  client.pauseStream(streamId)
  // A hostile exit answers one DATA with 501 cells: one beyond the stream window.
  const flood = threeHopsFlood(STREAM_WINDOW.start + 1)
  const hostile = threeHops(7, { exitAnswer: flood })
  const opened = hostile.client.begin('127.0.0.1', 80)
  hostile.path.run(opened.events)
  hostile.client.pauseStream(opened.streamId)
  hostile.path.run(hostile.client.write(opened.streamId, Uint8Array.of(1)))
  const ended = hostile.path.clientEvents.find((e) => e.type === 'stream-ended')
  assert.ok(ended?.type === 'stream-ended' && ended.reason === EndReason.TORPROTOCOL)
  const delivered = hostile.path.clientEvents.filter((e) => e.type === 'stream-data').length
  assert.equal(delivered, STREAM_WINDOW.start)
  // The well-behaved path holds its SENDMEs while paused and sends them on resume.
  path.run(client.write(streamId, new Uint8Array(498 * 60)))
  const sendmes = client.resumeStream(streamId)
  assert.equal(sendmes.length, 1)
})

function threeHopsFlood(cells: number) {
  return (cell: { command: number; streamId: number }) => {
    if (cell.command === RelayCommand.BEGIN)
      return [{ command: RelayCommand.CONNECTED, streamId: cell.streamId, data: new Uint8Array(0) }]
    if (cell.command !== RelayCommand.DATA) return []
    return Array.from({ length: cells }, () => ({
      command: RelayCommand.DATA,
      streamId: cell.streamId,
      data: Uint8Array.of(7),
    }))
  }
}

test('a SENDME that would push the circuit window past its start closes the circuit', () => {
  const hostile = threeHops(8, {
    exitAnswer: (cell) =>
      cell.command === RelayCommand.BEGIN
        ? [{ command: RelayCommand.SENDME, streamId: 0, data: encodeSendme({ version: 0 }) }]
        : [],
  })
  hostile.path.run(hostile.client.begin('127.0.0.1', 80).events)
  const event = closed(hostile.path.clientEvents)
  assert.ok(event?.type === 'closed' && event.fault?.code === 'limit_exceeded')
})

test('the client acknowledges every 100 DATA cells with a circuit SENDME v1, every 50 per stream', () => {
  const sendmes: { streamId: number; data: Uint8Array }[] = []
  const { client, path } = threeHops(9, {
    exitAnswer: (cell) => {
      if (cell.command === RelayCommand.BEGIN)
        return [
          { command: RelayCommand.CONNECTED, streamId: cell.streamId, data: new Uint8Array(0) },
        ]
      if (cell.command === RelayCommand.SENDME) sendmes.push(cell)
      return cell.command === RelayCommand.DATA ? [cell] : []
    },
  })
  const { streamId, events } = client.begin('127.0.0.1', 80)
  path.run(events)
  for (let i = 0; i < 250; i++) path.run(client.write(streamId, new Uint8Array(498)))
  assert.equal(path.clientEvents.filter((e) => e.type === 'stream-data').length, 250)
  const circuitLevel = sendmes.filter((s) => s.streamId === 0)
  assert.equal(circuitLevel.length, 2)
  assert.ok(
    circuitLevel.every((s) => s.data[0] === 1 && s.data.length === 23),
    'version 1 with a 20-byte digest',
  )
  assert.equal(sendmes.filter((s) => s.streamId === streamId).length, 5)
  assert.ok(!client.isClosed)
})

test('window arithmetic: deliver refuses past zero, package refuses a SENDME past the start', () => {
  const deliver = new DeliverWindow(CIRCUIT_WINDOW)
  for (let i = 0; i < CIRCUIT_WINDOW.start; i++) assert.ok(deliver.onData().ok)
  assert.equal(deliver.onData().ok, false)
  assert.ok(deliver.takeSendme())
  const pack = new PackageWindow(STREAM_WINDOW)
  assert.equal(pack.onSendme().ok, false)
  for (let i = 0; i < STREAM_WINDOW.start; i++) pack.onSent()
  assert.equal(pack.canSend, false)
  assert.ok(pack.onSendme().ok)
  assert.equal(pack.remaining, STREAM_WINDOW.increment)
  const circuit = new PackageWindow(CIRCUIT_WINDOW)
  for (let i = 0; i < 100; i++) circuit.onSent(Uint8Array.of(i))
  assert.equal(circuit.onSendme(Uint8Array.of(1)).ok, false, 'a v1 digest of the wrong cell')
})

test('unknown cell commands and garbage relay cells close the circuit with a fault, never a throw', () => {
  const unknown = threeHops(30)
  const event = closed(
    unknown.client.receive({
      circId: unknown.client.circId,
      command: 200,
      payload: new Uint8Array(509),
    }),
  )
  assert.ok(event?.type === 'closed' && event.fault?.code === 'unexpected_message')
  const garbage = threeHops(31)
  const random = new SeededRandom(32)
  const forged = closed(
    garbage.client.receive({
      circId: garbage.client.circId,
      command: CellCommand.RELAY,
      payload: random.bytes(509),
    }),
  )
  assert.ok(forged?.type === 'closed' && forged.fault?.code === 'malformed')
  assert.deepEqual(
    garbage.client.receive({
      circId: garbage.client.circId,
      command: CellCommand.RELAY,
      payload: random.bytes(509),
    }),
    [],
    'closed once',
  )
  const early = new ClientCircuit(crypto, new SeededRandom(33), 0x80000002)
  const beforeCreated = closed(
    early.receive({ circId: 0x80000002, command: CellCommand.RELAY, payload: new Uint8Array(509) }),
  )
  assert.ok(beforeCreated?.type === 'closed')
})

test('cells handed over in runs give the same events and SENDMEs as one at a time', () => {
  const burst = (mode: boolean) => {
    const sendmes: number[] = []
    const { client, path } = threeHops(11, {
      deliverInRuns: mode,
      exitAnswer: (cell) => {
        if (cell.command === RelayCommand.BEGIN)
          return [
            { command: RelayCommand.CONNECTED, streamId: cell.streamId, data: new Uint8Array(0) },
            { command: RelayCommand.DATA, streamId: cell.streamId, data: Uint8Array.of(1, 2) },
          ]
        if (cell.command === RelayCommand.SENDME) sendmes.push(cell.streamId)
        // each DATA cell comes back as a burst of 7, the last one short
        if (cell.command !== RelayCommand.DATA) return []
        return Array.from({ length: 7 }, (_, i) => ({
          command: RelayCommand.DATA,
          streamId: cell.streamId,
          data: cell.data.subarray(0, i === 6 ? 100 : 498),
        }))
      },
    })
    const { streamId, events } = client.begin('127.0.0.1', 80)
    path.run(events)
    for (let i = 0; i < 40; i++) path.run(client.write(streamId, new Uint8Array(498).fill(i)))
    return { events: path.clientEvents, sendmes, closed: client.isClosed }
  }
  const oneByOne = burst(false)
  const inRuns = burst(true)
  assert.equal(oneByOne.events.filter((e) => e.type === 'stream-data').length, 1 + 40 * 7)
  assert.deepEqual(inRuns, oneByOne)
  assert.ok(oneByOne.sendmes.length >= 2 + 5)
})
