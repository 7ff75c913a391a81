import assert from 'node:assert/strict'
import { test } from 'node:test'
import { equalBytes } from '../../../core/bytes.js'
import { NodeHashing } from '../../../drivers/node/hashing.js'
import type { WireMessage } from '../wire/index.js'
import { fixtureTorrent, Harness, type RemotePeer } from './fixture.js'
import { checkSwarm } from './invariants.js'

const hashing = new NodeHashing()
const torrent = fixtureTorrent(hashing, { totalLength: 24 * 32_768 - 1000, pieceLength: 32_768 })
const { metainfo, content } = torrent
const n = metainfo.pieceCount
const HONEST = '10.0.1.1'
const ATTACKER = '10.0.6.6'

type Request = Extract<WireMessage, { type: 'request' }>

/**
 * Storage and hashing done for real: written blocks land in a buffer, and a piece passes
 * only when its bytes equal the torrent's content.
 */
class Disk {
  readonly bytes = new Uint8Array(metainfo.totalLength)

  constructor(private readonly h: Harness) {}

  settle(): void {
    const { h } = this
    for (let round = 0; round < 10; round++) {
      const writes = h.take('write_block')
      const checks = h.take('verify_piece')
      if (writes.length === 0 && checks.length === 0) return
      for (const w of writes) {
        this.bytes.set(w.bytes, w.piece * metainfo.pieceLength + w.begin)
        h.core.blockWritten(h.now, w.piece, w.begin, w.bytes.length)
      }
      for (const v of checks) {
        const from = v.piece * metainfo.pieceLength
        const to = Math.min(from + metainfo.pieceLength, metainfo.totalLength)
        const ok = equalBytes(this.bytes.subarray(from, to), content.subarray(from, to))
        h.core.pieceVerified(h.now, v.piece, ok)
      }
      h.flush()
    }
  }
}

/** Sends each requested block with the right bytes, or forged ones. */
function answer(remote: RemotePeer, requests: readonly Request[], forged = false): void {
  for (const r of requests) {
    const at = r.index * metainfo.pieceLength + r.begin
    const block = forged ? new Uint8Array(r.length).fill(0xee) : content.slice(at, at + r.length)
    remote.send({ type: 'piece', index: r.index, begin: r.begin, block })
  }
}

function seed(h: Harness, host: string): RemotePeer {
  const remote = h.open({ host })
  remote.send({ type: 'have_all' })
  remote.inbox.length = 0
  return remote
}

test('unrequested blocks never reach a piece: no failed piece, the honest seed is never blamed', () => {
  const h = new Harness({ metainfo })
  const disk = new Disk(h)
  const honest = seed(h, HONEST)
  const attacker = seed(h, ATTACKER)
  honest.send({ type: 'unchoke' })
  // The attacker never unchokes us, so we never ask it for anything; it pushes forged blocks
  // into the first block of each piece the honest seed was asked for, just ahead of the real
  // one, so a polluted piece would have both as contributors.
  let forged = 0
  for (let round = 0; round < 200 && !h.core.complete; round++) {
    const requests = honest.take('request')
    if (attacker.closed === undefined) {
      const firsts = requests.filter((r) => r.begin === 0)
      answer(attacker, firsts, true)
      forged += firsts.length
    }
    answer(honest, requests)
    disk.settle()
  }
  assert.ok(forged > 0, 'the attacker got blocks in')
  assert.ok(h.core.complete, 'the download completes from the honest seed')
  assert.deepEqual(h.take('piece_failed'), [], 'no piece failed')
  assert.equal(h.take('piece_verified').length, n)
  const bans = h.take('peer_banned')
  assert.deepEqual(
    bans.map((b) => b.address.host),
    [ATTACKER],
    'the attacker, and only it, is banned',
  )
  assert.deepEqual(attacker.closed, { graceful: false })
  assert.notDeepEqual(honest.closed, { graceful: false }, 'the honest seed is not dropped')
  assert.equal(h.core.inspect().unrequestedBlocks, h.core.inspect().config.unrequestedBlocksMax + 1)
  assert.deepEqual(checkSwarm(h.core.inspect()), [])
})

test('a block we cancelled (endgame, snub) may still arrive: no offence, no ban', () => {
  const h = new Harness({ metainfo, config: { unrequestedBlocksMax: 0 } })
  const slow = seed(h, HONEST)
  slow.send({ type: 'unchoke' })
  const asked = slow.take('request')
  assert.ok(asked.length > 0)
  // No block for the snub timeout: the requests are cancelled and go elsewhere.
  h.advance(61_000)
  assert.equal(slow.take('cancel').length, asked.length)
  // The blocks were already on the wire: they arrive after the cancel.
  answer(slow, asked)
  assert.equal(slow.closed, undefined, 'late blocks of released requests are tolerated')
  assert.equal(h.take('peer_banned').length, 0)
  assert.equal(h.core.inspect().unrequestedBlocks, 0)
  // They were asked of this peer and are still missing: kept.
  assert.equal(h.take('write_block').length, asked.length)
  // The same block a second time was never asked for twice: unrequested.
  answer(slow, asked.slice(0, 1))
  assert.deepEqual(slow.closed, { graceful: false })
  assert.equal(h.take('peer_banned')[0]?.address.host, HONEST)
})
