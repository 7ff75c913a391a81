import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeExtendedHandshake } from './extended-handshake.js'
import { UT_METADATA, UT_PEX, type ExtensionMessage } from './extension-messages.js'
import { decodeExtension, encodeExtension } from './extensions.js'
import { encodeMetadataMessage } from './metadata.js'

/** Ids we announced (the peer sends with these) and ids the peer announced (we send with). */
const LOCAL = new Map([
  [UT_METADATA, 2],
  [UT_PEX, 1],
])
const REMOTE = new Map([
  [UT_METADATA, 7],
  [UT_PEX, 0], // disabled
])

test('incoming ids map through the ids we announced', () => {
  const payload = encodeMetadataMessage({ msgType: 'request', piece: 1 })
  const decoded = decodeExtension({ type: 'extended', extendedId: 2, payload }, LOCAL)
  assert.deepEqual(decoded, {
    ok: true,
    value: { type: 'ut_metadata', message: { msgType: 'request', piece: 1 } },
  })
  const unknown = decodeExtension({ type: 'extended', extendedId: 9, payload }, LOCAL)
  assert.deepEqual(unknown, {
    ok: true,
    value: { type: 'unknown_extension', extendedId: 9, payload },
  })
})

test('id 0 is always the extended handshake', () => {
  const payload = encodeExtendedHandshake({ extensions: REMOTE })
  const decoded = decodeExtension({ type: 'extended', extendedId: 0, payload }, new Map())
  assert.deepEqual(decoded, {
    ok: true,
    value: { type: 'extended_handshake', handshake: { extensions: REMOTE } },
  })
})

test('outgoing messages use the peer ids, and nothing is sent for a disabled extension', () => {
  const request: ExtensionMessage = {
    type: 'ut_metadata',
    message: { msgType: 'request', piece: 0 },
  }
  assert.equal(encodeExtension(request, REMOTE)?.extendedId, 7)
  const pex: ExtensionMessage = { type: 'ut_pex', message: { added: [], dropped: [] } }
  assert.equal(encodeExtension(pex, REMOTE), undefined)
  assert.equal(encodeExtension(request, new Map()), undefined)
})

test('sub-codec errors come through, e.g. a data message with a wrong total_size', () => {
  const data = new Uint8Array(100)
  const payload = encodeMetadataMessage({ msgType: 'data', piece: 0, totalSize: 100, data })
  const decoded = decodeExtension({ type: 'extended', extendedId: 2, payload }, LOCAL, 200)
  assert.ok(!decoded.ok && decoded.error.code === 'metadata_size_mismatch')
  const garbage = Uint8Array.of(0x64, 0x31)
  const bad = decodeExtension({ type: 'extended', extendedId: 1, payload: garbage }, LOCAL)
  assert.ok(!bad.ok && bad.error.code === 'bad_bencode')
})
