import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { SeededRandom } from '../../core/random.js'
import { NodeOnionCrypto } from '../../drivers/onion/node-crypto.js'
import { CELL_PAYLOAD_BYTES, CellCommand } from './cell.js'
import { HandshakeType, decodeCreated2, encodeCreate2 } from './control-cells.js'
import { policyAllows } from './directory/exit-policy.js'
import { splitHopKeys } from './kdf.js'
import { ntorClientFinish, ntorClientStart, ntorKeyMaterial } from './ntor.js'
import { RelayCommand, decodeRelayCell, encodeRelayCell, type RelayCell } from './relay-cell.js'
import { DEFAULT_EXIT_POLICY, parseExitPolicy } from './directory/exit-policy.js'
import { RelayCircuit, type RelayCircuitAction } from './relay-circuit.js'
import { HopCryptoLayer } from './relay-crypto.js'
import {
  EndReason,
  decodeEnd,
  decodeResolved,
  decodeSendme,
  encodeBegin,
  encodeExtend2,
  encodeResolve,
} from './relay-messages.js'

const crypto = new NodeOnionCrypto()
const policy = parseExitPolicy(DEFAULT_EXIT_POLICY)
assert.ok(policy.ok)
const rules = policy.value

/** A client's single hop to a RelayCircuit: the client side's crypto layer is ours. */
function oneHop(seed: number, servesDirectory = false) {
  const random = new SeededRandom(seed)
  const onionSecret = random.bytes(32)
  const secret = {
    rsaIdDigest: random.bytes(20),
    onionSecret,
    onionKey: crypto.x25519PublicKey(onionSecret),
  }
  const start = ntorClientStart(crypto, secret, random.bytes(32))
  const accepted = RelayCircuit.accept(
    crypto,
    random.fork('relay'),
    secret,
    encodeCreate2({ handshakeType: HandshakeType.NTOR, handshakeData: start.onionskin }),
    { exitAllows: (host, port) => policyAllows(rules, host, port), servesDirectory },
  )
  assert.ok(accepted.ok)
  const reply = decodeCreated2(accepted.value.created)
  assert.ok(reply.ok)
  const keySeed = ntorClientFinish(crypto, start.state, reply.value)
  assert.ok(keySeed.ok)
  const layer = new HopCryptoLayer(
    crypto,
    splitHopKeys(ntorKeyMaterial(crypto, keySeed.value)),
    'client',
  )
  const circuit = accepted.value.circuit
  const send = (cell: RelayCell, command: number = CellCommand.RELAY): RelayCircuitAction[] =>
    circuit.fromPrevious(
      command,
      layer.seal(encodeRelayCell(cell, random.bytes(CELL_PAYLOAD_BYTES))).payload,
    )
  /** Opens the relay cells among the actions, as the client would. */
  const opened = (actions: readonly RelayCircuitAction[]): RelayCell[] =>
    actions.flatMap((action) => {
      if (action.type !== 'to-previous') return []
      const plaintext = layer.decrypt(action.payload)
      assert.ok(layer.recognize(plaintext) !== undefined, 'the client recognizes the cell')
      const cell = decodeRelayCell(plaintext)
      assert.ok(cell.ok)
      return [cell.value]
    })
  return { circuit, send, opened }
}

const begin = (host: string, port: number, streamId = 1): RelayCell => ({
  command: RelayCommand.BEGIN,
  streamId,
  data: encodeBegin({ host, port, flags: 0 }),
})

test('BEGIN inside the policy asks to connect; bytes flow both ways within the windows', () => {
  const { circuit, send, opened } = oneHop(1)
  const actions = send(begin('127.0.0.1', 8080))
  assert.deepEqual(actions, [{ type: 'connect', streamId: 1, host: '127.0.0.1', port: 8080 }])
  const connected = opened(circuit.streamConnected(1, Uint8Array.of(127, 0, 0, 1)))
  assert.equal(connected[0]?.command, RelayCommand.CONNECTED)

  // 600 cells' worth from the destination: the stream window (500) stops the exit.
  const big = new Uint8Array(600 * 498).map((_, i) => i % 253)
  const sent = circuit.streamData(1, big)
  const data = opened(sent).filter((cell) => cell.command === RelayCommand.DATA)
  assert.equal(data.length, 500)
  assert.ok(sent.some((action) => action.type === 'pause-stream'))
  // One stream SENDME reopens 50 cells.
  const more = opened(send({ command: RelayCommand.SENDME, streamId: 1, data: new Uint8Array(0) }))
  assert.equal(more.length, 50)
  // The next SENDME sends the last 50 cells; ten more refill the window to its start (500);
  // one beyond that is an overrun.
  for (let i = 0; i < 11; i++)
    send({ command: RelayCommand.SENDME, streamId: 1, data: new Uint8Array(0) })
  const over = send({ command: RelayCommand.SENDME, streamId: 1, data: new Uint8Array(0) })
  assert.ok(over.some((action) => action.type === 'closed'))
})

test('BEGIN_DIR: END NOTDIRECTORY from a relay without a directory; else a directory stream', () => {
  const beginDir = (streamId: number): RelayCell => ({
    command: RelayCommand.BEGIN_DIR,
    streamId,
    data: new Uint8Array(0),
  })
  const plain = oneHop(5)
  const refused = plain.opened(plain.send(beginDir(3)))
  assert.equal(refused[0]?.command, RelayCommand.END)
  assert.deepEqual([...(refused[0]?.data ?? [])], [EndReason.NOTDIRECTORY])

  const { circuit, send, opened } = oneHop(6, true)
  assert.deepEqual(send(beginDir(3)), [{ type: 'connect-directory', streamId: 3 }])
  // tor-spec §6.2: the CONNECTED answering BEGIN_DIR carries no address.
  const connected = opened(circuit.streamConnected(3, Uint8Array.of(127, 0, 0, 1)))
  assert.equal(connected[0]?.command, RelayCommand.CONNECTED)
  assert.equal(connected[0]?.data.length, 0)
  // The stream carries the request and the answer like any other.
  const request = new TextEncoder().encode(
    'GET /tor/status-vote/current/consensus HTTP/1.0\r\n\r\n',
  )
  const written = send({ command: RelayCommand.DATA, streamId: 3, data: request })
  assert.deepEqual(written, [{ type: 'write', streamId: 3, data: request }])
  const answer = opened(circuit.streamData(3, new TextEncoder().encode('HTTP/1.0 200 OK\r\n\r\n')))
  assert.equal(answer[0]?.command, RelayCommand.DATA)
  // BEGIN_DIR on stream 0 is a violation; a second BEGIN_DIR on an open stream is refused.
  assert.deepEqual(send(beginDir(3)), [{ type: 'refused', detail: 'BEGIN_DIR for open stream 3' }])
  assert.ok(send(beginDir(0)).some((action) => action.type === 'closed'))
})

test('DATA from the client is written out, and SENDMEs come back every 50 (stream) and 100 (circuit) cells', () => {
  const { circuit, send, opened } = oneHop(2)
  send(begin('127.0.0.1', 80))
  opened(circuit.streamConnected(1, Uint8Array.of(127, 0, 0, 1)))
  let writes = 0
  const sendmes: RelayCell[] = []
  for (let i = 0; i < 100; i++) {
    const actions = send({ command: RelayCommand.DATA, streamId: 1, data: Uint8Array.of(i) })
    writes += actions.filter((action) => action.type === 'write').length
    sendmes.push(...opened(actions).filter((cell) => cell.command === RelayCommand.SENDME))
  }
  assert.equal(writes, 100)
  assert.deepEqual(
    sendmes.map((cell) => cell.streamId),
    [1, 0, 1],
  )
  const circuitSendme = decodeSendme((sendmes[1] as RelayCell).data)
  assert.ok(circuitSendme.ok && circuitSendme.value.version === 1)
})

test('while the destination is not taking writes, stream SENDMEs wait for it to drain', () => {
  const { circuit, send, opened } = oneHop(7)
  send(begin('127.0.0.1', 80))
  opened(circuit.streamConnected(1, Uint8Array.of(127, 0, 0, 1)))
  circuit.streamWriteBlocked(1)
  const streamSendmes = (actions: RelayCircuitAction[]): number =>
    opened(actions).filter((cell) => cell.command === RelayCommand.SENDME && cell.streamId === 1)
      .length
  let held = 0
  for (let i = 0; i < 120; i++)
    held += streamSendmes(send({ command: RelayCommand.DATA, streamId: 1, data: Uint8Array.of(i) }))
  assert.equal(held, 0)
  assert.equal(streamSendmes(circuit.streamWriteDrained(1)), 2)
  assert.equal(streamSendmes(circuit.streamWriteDrained(1)), 0)
})

test('the exit refuses what its policy forbids with END EXITPOLICY and looks up no names', () => {
  const { send, opened } = oneHop(3)
  for (const [host, port] of [
    ['10.0.0.1', 80],
    ['192.168.1.1', 443],
    ['localhost', 80],
    ['example.com', 80],
  ] as const) {
    const actions = send(begin(host, port, 7))
    assert.ok(!actions.some((action) => action.type === 'connect'), `${host} is not connected`)
    const [end] = opened(actions)
    assert.equal(end?.command, RelayCommand.END)
    assert.equal(decodeEnd((end as RelayCell).data), EndReason.EXITPOLICY)
  }
  const [resolved] = opened(
    send({ command: RelayCommand.RESOLVE, streamId: 9, data: encodeResolve('example.com') }),
  )
  const answers = decodeResolved((resolved as RelayCell).data)
  assert.ok(answers.ok && answers.value[0]?.type === 'error')
})

test('EXTEND2 outside RELAY_EARLY, a second EXTEND2 and the ninth RELAY_EARLY close the circuit', () => {
  const extend: RelayCell = {
    command: RelayCommand.EXTEND2,
    streamId: 0,
    data: encodeExtend2({
      linkSpecifiers: [
        { type: 'ipv4', address: Uint8Array.of(127, 0, 0, 1), port: 9001 },
        { type: 'legacy-id', rsaIdDigest: new Uint8Array(20).fill(1) },
      ],
      handshakeType: HandshakeType.NTOR,
      handshakeData: new Uint8Array(84),
    }),
  }
  const plain = oneHop(4)
  const refused = plain.send(extend, CellCommand.RELAY)
  assert.ok(refused.some((action) => action.type === 'closed' && action.destroyPrevious))

  const early = oneHop(5)
  const asked = early.send(extend, CellCommand.RELAY_EARLY)
  assert.equal(asked[0]?.type, 'extend')
  assert.ok(early.send(extend, CellCommand.RELAY_EARLY).some((action) => action.type === 'closed'))

  const budget = oneHop(6)
  const drop: RelayCell = { command: RelayCommand.DROP, streamId: 0, data: new Uint8Array(0) }
  for (let i = 0; i < 8; i++) assert.deepEqual(budget.send(drop, CellCommand.RELAY_EARLY), [])
  assert.ok(budget.send(drop, CellCommand.RELAY_EARLY).some((action) => action.type === 'closed'))
})

test('garbage relay payloads never reach the exit: refused and closed, never a crash', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: CELL_PAYLOAD_BYTES, maxLength: CELL_PAYLOAD_BYTES }),
      fc.constantFrom(CellCommand.RELAY, CellCommand.RELAY_EARLY, CellCommand.CREATE2, 77),
      fc.integer({ min: 0, max: 1000 }),
      (payload, command, seed) => {
        const { circuit } = oneHop(seed)
        const actions = circuit.fromPrevious(command, payload)
        assert.ok(
          !actions.some((a) => a.type === 'connect' || a.type === 'extend' || a.type === 'write'),
        )
        assert.ok(actions.some((a) => a.type === 'closed'))
        assert.deepEqual(circuit.fromPrevious(command, payload), [])
      },
    ),
    { numRuns: 40 },
  )
})

test('exit policies parse in descriptor syntax and refuse anything else', () => {
  const parsed = parseExitPolicy('accept 127.0.0.1:8080, reject *:*')
  assert.ok(parsed.ok)
  assert.ok(policyAllows(parsed.value, '127.0.0.1', 8080))
  assert.ok(!policyAllows(parsed.value, '127.0.0.1', 8081))
  for (const bad of ['allow *:*', 'accept 300.0.0.1:80', 'accept *:* extra', 'accept 1.2.3.4'])
    assert.ok(!parseExitPolicy(bad).ok, bad)
  fc.assert(
    fc.property(fc.string({ maxLength: 80 }), (text) => {
      const result = parseExitPolicy(text)
      if (result.ok)
        for (const rule of result.value) assert.ok(rule.prefix >= 0 && rule.prefix <= 32)
    }),
  )
})
