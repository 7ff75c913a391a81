/**
 * A plexus relay facing bad input on 127.0.0.1: link handshakes without a common version or
 * starting with something other than VERSIONS are closed; CREATE2 for another relay's key,
 * CREATE (TAP) and cells for unknown circuits are refused (DESTROY or dropped) and logged; a
 * client expecting another identity refuses the relay's CERTS. None of it crashes the relay,
 * which keeps serving circuits.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { after, before, test } from 'node:test'
import { concatBytes } from '../../src/core/bytes.js'
import { CryptoRandom } from '../../src/drivers/node/random.js'
import { OnionLink } from '../../src/drivers/onion/link.js'
import {
  buildCircuitThrough,
  descriptorOfPublished,
} from '../../src/drivers/onion/named-circuit.js'
import { NodeOnionCrypto } from '../../src/drivers/onion/node-crypto.js'
import type { PlexusRelay } from '../../src/drivers/onion/relay-server.js'
import { CellCommand, encodeCell, type Cell } from '../../src/protocols/onion/cell.js'
import {
  decodeCreatedFast,
  encodeCreate2,
  encodeVersions,
  HandshakeType,
} from '../../src/protocols/onion/control-cells.js'
import { kdfTor } from '../../src/protocols/onion/kdf.js'
import { startPlexusRelays, warningLog } from '../support/onion-relays.js'

const crypto = new NodeOnionCrypto()
const random = new CryptoRandom()
const { log, warnings } = warningLog()
let dir: string
let relay: PlexusRelay

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-relay-bad-'))
  ;[relay] = (await startPlexusRelays(dir, 1, log, 'relay', { handshakeTimeoutMs: 1500 })) as [
    PlexusRelay,
  ]
})

after(() => {
  relay?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** Sends raw bytes over TLS and resolves with what came back when the relay closed. */
function rawExchange(bytes: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: relay.published.orPort,
      rejectUnauthorized: false,
    })
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error('the relay did not close the link'))
    }, 5000)
    socket.on('secureConnect', () => socket.write(bytes))
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks))
    })
  })
}

test('a link without a common version, or not starting with VERSIONS, is closed', async () => {
  const old = await rawExchange(
    encodeCell({ circId: 0, command: CellCommand.VERSIONS, payload: encodeVersions([1, 2, 3]) }, 2),
  )
  assert.equal(old.length, 0)
  const garbage = await rawExchange(new Uint8Array(600).fill(3))
  assert.equal(garbage.length, 0)
  // A peer that connects and stays silent is cut off when the handshake deadline passes.
  const silent = await rawExchange(new Uint8Array(0))
  assert.equal(silent.length, 0)
  assert.ok(warnings.some((w) => w.includes('no common link protocol')))
  assert.ok(warnings.some((w) => w.includes('malformed link bytes')))
})

test('CREATE2 for another key, CREATE (TAP) and cells for unknown circuits are refused; CREATE_FAST is answered', async () => {
  const me = relay.published
  const link = await OnionLink.open(
    crypto,
    { address: me.address, orPort: me.orPort, rsaIdDigest: relay.keys.rsaIdDigest },
    log,
  )
  try {
    const answers: Cell[] = []
    const waitFor = (circId: number): Promise<Cell> =>
      new Promise((resolve) => link.register(circId, (cell) => resolve(cell)))
    const wrongKey = waitFor(0x80000001)
    link.send({
      circId: 0x80000001,
      command: CellCommand.CREATE2,
      payload: encodeCreate2({
        handshakeType: HandshakeType.NTOR,
        handshakeData: new Uint8Array(84).fill(7),
      }),
    })
    answers.push(await wrongKey)
    const tap = waitFor(0x80000002)
    link.send({ circId: 0x80000002, command: CellCommand.CREATE, payload: new Uint8Array(509) })
    answers.push(await tap)
    assert.deepEqual(
      answers.map((cell) => cell.command),
      [CellCommand.DESTROY, CellCommand.DESTROY],
    )
    // CREATE_FAST (tor clients' one-hop directory circuits): CREATED_FAST with Y and the KH
    // that KDF-TOR(X | Y) gives (tor-spec §5.1.3).
    const x = new Uint8Array(20).fill(3)
    const fast = waitFor(0x80000005)
    link.send({ circId: 0x80000005, command: CellCommand.CREATE_FAST, payload: x })
    const created = await fast
    assert.equal(created.command, CellCommand.CREATED_FAST)
    const reply = decodeCreatedFast(created.payload)
    assert.ok(reply.ok)
    const kh = kdfTor(crypto, concatBytes([x, reply.value.keyMaterial]), 20)
    assert.deepEqual([...reply.value.derivativeKeyHash], [...kh])
    link.send({ circId: 0x80000003, command: CellCommand.RELAY, payload: new Uint8Array(509) })
    // The relay handles a link's cells in order: once this DESTROY is back, so is the RELAY.
    const marker = waitFor(0x80000004)
    link.send({ circId: 0x80000004, command: CellCommand.CREATE, payload: new Uint8Array(509) })
    await marker
    assert.ok(
      relay.refusals.some((r) => /CREATE2 refused: ntor onionskin for another relay/.test(r)),
    )
    assert.ok(relay.refusals.some((r) => /unknown circuit/.test(r)))
    assert.ok(link.isOpen, 'refusals close circuits, not the link')
  } finally {
    link.close()
  }
})

test('a client that expects another identity refuses the relay; the relay keeps serving', async () => {
  const me = relay.published
  await assert.rejects(
    OnionLink.open(
      crypto,
      { address: me.address, orPort: me.orPort, rsaIdDigest: new Uint8Array(20) },
      log,
    ),
    /relay CERTS refused/,
  )
  await assert.rejects(
    OnionLink.open(
      crypto,
      {
        address: me.address,
        orPort: me.orPort,
        rsaIdDigest: relay.keys.rsaIdDigest,
        ed25519Identity: new Uint8Array(32).fill(1),
      },
      log,
    ),
    /Ed25519 identity differs/,
  )
  const hop = descriptorOfPublished(me)
  const { circuit } = await buildCircuitThrough(crypto, random, log, [hop])
  assert.equal(circuit.protocol.hops, 1)
  const answers = await circuit.resolve('127.0.0.1')
  assert.equal(answers[0]?.type, 'ipv4')
  circuit.destroy()
})
