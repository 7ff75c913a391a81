import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import {
  CELL_PAYLOAD_BYTES,
  CellCommand,
  CellFramer,
  FIXED_CELL_BYTES,
  decodeCell,
  encodeCell,
  isVariableLengthCommand,
  type Cell,
} from './cell.js'
import {
  decodeAuthChallenge,
  decodeCerts,
  decodeCreate2,
  decodeCreated2,
  decodeCreatedFast,
  decodeNetinfo,
  decodeVersions,
  encodeAuthChallenge,
  encodeCerts,
  encodeCreate2,
  encodeCreated2,
  encodeCreatedFast,
  encodeNetinfo,
  encodeVersions,
} from './control-cells.js'

const fixedCommand = fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12)
const variableCommand = fc.constantFrom(7, 128, 129, 130, 131, 132)

const fixedCell = fc.record({
  circId: fc.nat({ max: 0xffffffff }),
  command: fixedCommand,
  payload: fc.uint8Array({ minLength: CELL_PAYLOAD_BYTES, maxLength: CELL_PAYLOAD_BYTES }),
})
const variableCell = fc.record({
  circId: fc.nat({ max: 0xffffffff }),
  command: variableCommand,
  payload: fc.uint8Array({ maxLength: 1200 }),
})

test('a fixed cell is 514 bytes: circ id, command, 509-byte payload', () => {
  const bytes = encodeCell({
    circId: 0x80000001,
    command: CellCommand.CREATE2,
    payload: Uint8Array.of(0, 2),
  })
  assert.equal(bytes.length, FIXED_CELL_BYTES)
  assert.deepEqual([...bytes.subarray(0, 7)], [0x80, 0, 0, 1, 10, 0, 2])
  assert.ok(bytes.subarray(7).every((byte) => byte === 0))
})

test('VERSIONS uses a 2-byte circ id and a length', () => {
  const bytes = encodeCell(
    { circId: 0, command: CellCommand.VERSIONS, payload: encodeVersions([4, 5]) },
    2,
  )
  assert.deepEqual([...bytes], [0, 0, 7, 0, 4, 0, 4, 0, 5])
  const framer = new CellFramer()
  const cells = framer.push(bytes)
  assert.ok(cells.ok)
  assert.deepEqual(decodeVersions(cells.value[0]!.payload), { ok: true, value: [4, 5] })
})

test('round trip of fixed and variable cells, whatever the chunking', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fixedCell, variableCell), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (cells, cuts) => {
        const stream = Uint8Array.from(cells.flatMap((cell) => [...encodeCell(cell)]))
        const framer = new CellFramer()
        framer.useWideCircIds()
        const points = [
          ...new Set(cuts.map((cut) => (stream.length === 0 ? 0 : cut % stream.length))),
        ].sort((a, b) => a - b)
        const decoded = []
        let start = 0
        for (const point of [...points, stream.length]) {
          const chunk = framer.push(stream.subarray(start, point))
          assert.ok(chunk.ok)
          decoded.push(...chunk.value)
          start = point
        }
        assert.deepEqual(
          decoded.map((cell) => ({ ...cell, payload: [...cell.payload] })),
          cells.map((cell) => ({ ...cell, payload: [...cell.payload] })),
        )
      },
    ),
  )
})

test('a framer handed its input gives views with the same cells, over any chunking', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fixedCell, variableCell), { maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (cells, cuts) => {
        const stream = Buffer.from(cells.flatMap((cell) => [...encodeCell(cell)]))
        const framer = new CellFramer(true)
        framer.useWideCircIds()
        const points = [
          ...new Set(cuts.map((cut) => (stream.length === 0 ? 0 : cut % stream.length))),
        ].sort((a, b) => a - b)
        const decoded: Cell[] = []
        let start = 0
        for (const point of [...points, stream.length]) {
          // each read a fresh buffer, as a socket hands over
          const chunk = framer.push(Buffer.from(stream.subarray(start, point)))
          assert.ok(chunk.ok)
          decoded.push(...chunk.value)
          start = point
        }
        for (const cell of decoded)
          assert.equal(Object.getPrototypeOf(cell.payload), Uint8Array.prototype)
        assert.deepEqual(
          decoded.map((cell) => ({ ...cell, payload: [...cell.payload] })),
          cells.map((cell) => ({ ...cell, payload: [...cell.payload] })),
        )
      },
    ),
  )
})

test('decoders never throw on arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1100 }), (bytes) => {
      decodeCell(bytes, 4)
      decodeCell(bytes, 2)
      new CellFramer().push(bytes)
      decodeVersions(bytes)
      decodeCerts(bytes)
      decodeAuthChallenge(bytes)
      decodeNetinfo(bytes)
      decodeCreate2(bytes)
      decodeCreated2(bytes)
      decodeCreatedFast(bytes)
    }),
  )
})

test('before VERSIONS any other command is refused', () => {
  const framer = new CellFramer()
  const result = framer.push(Uint8Array.of(0, 0, CellCommand.NETINFO, 0, 0))
  assert.equal(result.ok, false)
})

test('variable-length commands are VERSIONS and 128 and up', () => {
  assert.ok(isVariableLengthCommand(7))
  assert.ok(isVariableLengthCommand(129))
  assert.ok(!isVariableLengthCommand(3))
})

test('control cell bodies round trip', () => {
  const bytes = fc.uint8Array({ maxLength: 300 })
  fc.assert(
    fc.property(
      fc.array(fc.record({ type: fc.nat({ max: 255 }), body: bytes }), { maxLength: 5 }),
      (certs) => {
        const decoded = decodeCerts(encodeCerts(certs))
        assert.ok(decoded.ok)
        assert.deepEqual(
          decoded.value.map((c) => [c.type, [...c.body]]),
          certs.map((c) => [c.type, [...c.body]]),
        )
      },
    ),
  )
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.array(fc.nat({ max: 0xffff }), { maxLength: 4 }),
      (challenge, methods) => {
        const decoded = decodeAuthChallenge(encodeAuthChallenge({ challenge, methods }))
        assert.ok(decoded.ok)
        assert.deepEqual([...decoded.value.challenge], [...challenge])
        assert.deepEqual(decoded.value.methods, methods)
      },
    ),
  )
  const address = fc.oneof(
    fc.record({ type: fc.constant(4), value: fc.uint8Array({ minLength: 4, maxLength: 4 }) }),
    fc.record({ type: fc.constant(6), value: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  )
  fc.assert(
    fc.property(
      fc.nat({ max: 0xffffffff }),
      address,
      fc.array(address, { maxLength: 3 }),
      (time, otherAddress, myAddresses) => {
        const padded = new Uint8Array(CELL_PAYLOAD_BYTES)
        padded.set(encodeNetinfo({ time, otherAddress, myAddresses }))
        const decoded = decodeNetinfo(padded)
        assert.ok(decoded.ok)
        assert.equal(decoded.value.time, time)
        assert.deepEqual([...decoded.value.otherAddress.value], [...otherAddress.value])
        assert.equal(decoded.value.myAddresses.length, myAddresses.length)
      },
    ),
  )
  fc.assert(
    fc.property(
      fc.nat({ max: 0xffff }),
      fc.uint8Array({ maxLength: 200 }),
      (handshakeType, handshakeData) => {
        const decoded = decodeCreate2(encodeCreate2({ handshakeType, handshakeData }))
        assert.ok(decoded.ok)
        assert.equal(decoded.value.handshakeType, handshakeType)
        assert.deepEqual([...decoded.value.handshakeData], [...handshakeData])
        const created = decodeCreated2(encodeCreated2(handshakeData))
        assert.ok(created.ok)
        assert.deepEqual([...created.value], [...handshakeData])
      },
    ),
  )
  const created = decodeCreatedFast(
    encodeCreatedFast({
      keyMaterial: new Uint8Array(20).fill(1),
      derivativeKeyHash: new Uint8Array(20).fill(2),
    }),
  )
  assert.ok(created.ok)
  assert.equal(created.value.derivativeKeyHash[19], 2)
})

test('truncated control bodies are refused, not misread', () => {
  assert.equal(decodeCreate2(Uint8Array.of(0, 2, 0, 84, 1, 2)).ok, false)
  assert.equal(decodeCerts(Uint8Array.of(2, 1, 0, 5, 1)).ok, false)
  assert.equal(decodeVersions(Uint8Array.of(0, 4, 0)).ok, false)
})

test('cells that follow VERSIONS in the same read use 4-byte circ ids', () => {
  const versions = encodeCell(
    { circId: 0, command: CellCommand.VERSIONS, payload: encodeVersions([4, 5]) },
    2,
  )
  const certs = encodeCell({ circId: 0, command: CellCommand.CERTS, payload: Uint8Array.of(0) }, 4)
  const cells = new CellFramer().push(Uint8Array.of(...versions, ...certs))
  assert.ok(cells.ok)
  assert.deepEqual(
    cells.value.map((cell) => cell.command),
    [CellCommand.VERSIONS, CellCommand.CERTS],
  )
})

test('framed payloads are copies: the reader may reuse or alter the bytes it pushed', () => {
  const framer = new CellFramer()
  framer.useWideCircIds()
  const wire = Buffer.from(
    encodeCell({ circId: 7, command: CellCommand.RELAY, payload: new Uint8Array(509).fill(9) }),
  )
  const partial = framer.push(wire.subarray(0, 300))
  assert.ok(partial.ok && partial.value.length === 0)
  const cells = framer.push(wire.subarray(300))
  assert.ok(cells.ok)
  const whole = new CellFramer()
  whole.useWideCircIds()
  const direct = whole.push(wire)
  assert.ok(direct.ok)
  wire.fill(0)
  assert.deepEqual(direct.value[0]?.payload, new Uint8Array(509).fill(9))
  assert.deepEqual(cells.value[0]?.payload, new Uint8Array(509).fill(9))
})
