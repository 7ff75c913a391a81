import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { buildInfoDict, parseInfoDict, type Metainfo } from '../metainfo/index.js'
import {
  decodeExtension,
  encodeExtension,
  METADATA_PIECE_BYTES,
  UT_METADATA,
  UT_PEX,
  type MetadataMessage,
  type WireMessage,
} from '../wire/index.js'
import { Harness, type RemotePeer } from './fixture.js'

const hashing = new NodeHashing()

/** 1000 pieces of 16 KiB: an info dictionary of about 20 KB, so two metadata pieces. */
function bigTorrent(isPrivate = false): Metainfo {
  const pieceCount = 1000
  const pieces = Uint8Array.from({ length: pieceCount * 20 }, (_, i) => (i * 37) & 0xff)
  const info = buildInfoDict({
    name: 'metadata.bin',
    files: [{ path: [], length: pieceCount * 16_384 - 100 }],
    pieceLength: 16_384,
    pieces,
    private: isPrivate,
  })
  const parsed = parseInfoDict(info, hashing)
  assert.ok(parsed.ok)
  return parsed.value
}

const metainfo = bigTorrent()
const { infoBytes } = metainfo
/** The id the scripted peer receives ut_metadata as: not ours (2), to catch id mix-ups. */
const REMOTE_ID = 3
const REMOTE_EXTENSIONS = new Map([[UT_METADATA, REMOTE_ID]])

type Extended = Extract<WireMessage, { type: 'extended' }>

/** Our extended handshake, as the peer decodes it. */
function ourHandshake(remote: RemotePeer) {
  const extended = remote.take('extended')[0]
  assert.ok(extended !== undefined)
  const decoded = decodeExtension(extended, new Map())
  assert.ok(decoded.ok && decoded.value.type === 'extended_handshake')
  return decoded.value.handshake
}

/** An open peer that sent an extended handshake with `extensions`, inbox drained. */
function fetcher(h: Harness, extensions: ReadonlyMap<string, number> = REMOTE_EXTENSIONS) {
  const remote = h.open({ host: `10.0.5.${h.remotes.size + 1}` })
  const ours = ourHandshake(remote).extensions
  const handshake = { extensions }
  const message = encodeExtension({ type: 'extended_handshake', handshake }, new Map())
  assert.ok(message !== undefined)
  remote.send(message)
  remote.inbox.length = 0
  return { remote, ours }
}

function sendMetadata(remote: RemotePeer, ours: ReadonlyMap<string, number>, m: MetadataMessage) {
  const message = encodeExtension({ type: 'ut_metadata', message: m }, ours)
  assert.ok(message !== undefined, 'we announced ut_metadata')
  remote.send(message)
}

/** ut_metadata messages the peer received, decoded with its ids; the inbox is drained. */
function received(remote: RemotePeer): MetadataMessage[] {
  const out: MetadataMessage[] = []
  for (const extended of remote.take('extended') as Extended[]) {
    assert.equal(extended.extendedId, REMOTE_ID, 'sent with the id the peer announced')
    const decoded = decodeExtension(extended, REMOTE_EXTENSIONS, infoBytes.length)
    assert.ok(decoded.ok && decoded.value.type === 'ut_metadata')
    out.push(decoded.value.message)
  }
  assert.deepEqual(remote.types(), [], 'nothing but ut_metadata messages')
  return out
}

test('the extended handshake announces ut_metadata (id 2) and metadata_size', () => {
  const h = new Harness({ metainfo })
  const remote = h.open()
  const handshake = ourHandshake(remote)
  assert.equal(handshake.extensions.get(UT_METADATA), 2)
  assert.equal(handshake.extensions.get(UT_PEX), 1, 'ut_pex keeps its id')
  assert.equal(handshake.metadataSize, infoBytes.length)
  assert.ok(infoBytes.length > METADATA_PIECE_BYTES, 'the fixture spans two metadata pieces')
})

test('a private torrent announces ut_metadata but not ut_pex', () => {
  const h = new Harness({ metainfo: bigTorrent(true) })
  const handshake = ourHandshake(h.open())
  assert.deepEqual([...handshake.extensions], [[UT_METADATA, 2]])
  assert.equal(handshake.metadataSize, h.metainfo.infoBytes.length)
})

test('a request gets the exact bytes of its 16 KiB piece, with total_size', () => {
  const h = new Harness({ metainfo })
  const { remote, ours } = fetcher(h)
  sendMetadata(remote, ours, { msgType: 'request', piece: 0 })
  assert.deepEqual(received(remote), [
    {
      msgType: 'data',
      piece: 0,
      totalSize: infoBytes.length,
      data: infoBytes.subarray(0, METADATA_PIECE_BYTES),
    },
  ])
  sendMetadata(remote, ours, { msgType: 'request', piece: 1 })
  const last = received(remote)[0]
  assert.ok(last?.msgType === 'data')
  assert.equal(last.data.length, infoBytes.length - METADATA_PIECE_BYTES, 'the last is shorter')
  assert.deepEqual(last.data, infoBytes.subarray(METADATA_PIECE_BYTES))
  assert.equal(remote.closed, undefined)
})

test('a piece past the end gets reject; past any dictionary, the peer is dropped', () => {
  const h = new Harness({ metainfo })
  const { remote, ours } = fetcher(h)
  sendMetadata(remote, ours, { msgType: 'request', piece: 2 })
  assert.deepEqual(received(remote), [{ msgType: 'reject', piece: 2 }])
  assert.equal(remote.closed, undefined)
  // Piece 1024 would need a dictionary over 16 MiB: the wire codec refuses it as malformed.
  sendMetadata(remote, ours, { msgType: 'request', piece: 1024 })
  assert.deepEqual(remote.closed, { graceful: false })
  assert.equal(h.take('remote_fault')[0]?.code, 'malformed')
})

test('a peer that did not announce ut_metadata gets nothing', () => {
  const h = new Harness({ metainfo })
  const { remote, ours } = fetcher(h, new Map([[UT_PEX, 1]]))
  sendMetadata(remote, ours, { msgType: 'request', piece: 0 })
  assert.deepEqual(remote.inbox, [])
  // Nor does one that sent no extended handshake at all.
  const silent = h.open({ host: '10.0.5.9' })
  silent.inbox.length = 0
  sendMetadata(silent, ours, { msgType: 'request', piece: 0 })
  assert.deepEqual(silent.inbox, [])
  assert.equal(h.core.inspect().ignored.metadata, 2)
  assert.equal(remote.closed, undefined)
  assert.equal(silent.closed, undefined)
})

test('at most 64 pieces are served per connection; then every request gets reject', () => {
  const h = new Harness({ metainfo })
  assert.equal(h.core.inspect().config.metadataRequestsPerPeerMax, 64)
  const { remote, ours } = fetcher(h)
  for (let i = 0; i < 70; i++) sendMetadata(remote, ours, { msgType: 'request', piece: i % 2 })
  const answers = received(remote)
  assert.equal(answers.filter((m) => m.msgType === 'data').length, 64)
  assert.deepEqual(
    answers.slice(64),
    Array.from({ length: 6 }, (_, i) => ({ msgType: 'reject', piece: i % 2 })),
  )
  // The bound is per connection: another peer is served.
  const other = fetcher(h)
  sendMetadata(other.remote, other.ours, { msgType: 'request', piece: 0 })
  assert.equal(received(other.remote)[0]?.msgType, 'data')
})

test('the bound is at least twice the dictionary, so every piece can be fetched twice', () => {
  const h = new Harness({ metainfo, config: { metadataRequestsPerPeerMax: 1 } })
  const { remote, ours } = fetcher(h)
  for (let i = 0; i < 6; i++) sendMetadata(remote, ours, { msgType: 'request', piece: i % 2 })
  assert.deepEqual(
    received(remote).map((m) => m.msgType),
    ['data', 'data', 'data', 'data', 'reject', 'reject'],
  )
})

test('while the connection is write-blocked, requests get reject and are not counted', () => {
  const h = new Harness({ metainfo, config: { metadataRequestsPerPeerMax: 1 } })
  const { remote, ours } = fetcher(h)
  h.core.writeBlocked(h.now, remote.connection)
  sendMetadata(remote, ours, { msgType: 'request', piece: 0 })
  assert.deepEqual(received(remote), [{ msgType: 'reject', piece: 0 }])
  h.core.writable(h.now, remote.connection)
  h.flush()
  sendMetadata(remote, ours, { msgType: 'request', piece: 0 })
  assert.equal(received(remote)[0]?.msgType, 'data')
})

test('data, reject and unknown msg_types are ignored and counted', () => {
  const h = new Harness({ metainfo })
  const { remote, ours } = fetcher(h)
  const data = infoBytes.subarray(0, METADATA_PIECE_BYTES)
  sendMetadata(remote, ours, { msgType: 'data', piece: 0, totalSize: infoBytes.length, data })
  sendMetadata(remote, ours, { msgType: 'reject', piece: 1 })
  sendMetadata(remote, ours, { msgType: 'unknown', id: 7 })
  assert.deepEqual(remote.inbox, [])
  assert.equal(remote.closed, undefined)
  assert.equal(h.core.inspect().ignored.metadata, 3)
})
