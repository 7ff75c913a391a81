import assert from 'node:assert/strict'
import { test } from 'node:test'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import { Bitfield } from '../picker/index.js'
import { fixtureTorrent, Harness } from './fixture.js'

const hashing = new NodeHashing()
const sha1 = (parts: readonly Uint8Array[]): Uint8Array => hashing.sha1(parts)
const { metainfo } = fixtureTorrent(hashing, { totalLength: 8 * 32_768, pieceLength: 32_768 })
const seed = (): Harness =>
  new Harness({ metainfo, have: Bitfield.full(metainfo.pieceCount), sha1 })

test('a complete torrent nobody asks for stops its timers; a connection or addresses wake it', () => {
  const h = seed()
  h.advance(2_000)
  assert.equal(h.core.sleeping, true)
  assert.equal(h.core.nextTimeout(), undefined, 'no timer left: no wake-up every second')
  const last = h.events.filter((e) => e.type === 'stats').at(-1)
  assert.equal(last?.type === 'stats' ? last.uploadRate : -1, 0, 'a last stats event, all zero')
  // An incoming connection wakes it: keep-alives, timeouts and the choker run again.
  const remote = h.open()
  assert.equal(h.core.sleeping, false)
  assert.ok(h.core.nextTimeout() !== undefined)
  remote.send({ type: 'have_none' })
  remote.send({ type: 'interested' })
  h.advance(1_000)
  assert.ok(remote.types().includes('unchoke'), 'the woken seed serves the newcomer')
  // Addresses to dial wake it too.
  const other = seed()
  other.advance(2_000)
  assert.equal(other.core.sleeping, true)
  other.core.addPeers(other.now, [{ host: '10.0.9.9', port: 6881 }], 'tracker')
  other.flush()
  assert.equal(other.core.sleeping, false)
  assert.ok(other.dials.length > 0, 'it dials the new address at once')
})

test('an incomplete torrent keeps its timers, even alone', () => {
  const h = new Harness({ metainfo, have: new Bitfield(metainfo.pieceCount), sha1 })
  h.advance(5_000)
  assert.equal(h.core.sleeping, false)
  assert.ok(h.core.nextTimeout() !== undefined)
})
