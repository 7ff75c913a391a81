/**
 * A scripted raw-TCP peer talks to a real `plexus seed` process the way mainstream clients
 * do (issue 19): it re-sends its whole bitfield mid-connection instead of haves, mixes haves
 * and bitfields, and announces completion with have_all. The seed must keep serving it
 * through all of that, and part from it politely (both seeds) only at the end.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { jsonLine, spawnPlexus } from '../../src/cli/spawn.js'
import { instant } from '../../src/core/time.js'
import { NEED_DATA } from '../../src/core/core.js'
import { NodeHashing } from '../../src/drivers/node/hashing.js'
import { Bitfield } from '../../src/protocols/bittorrent/picker/index.js'
import { parseMetainfo } from '../../src/protocols/bittorrent/metainfo/index.js'
import {
  EXTENSION_PROTOCOL_BIT,
  FAST_EXTENSION_BIT,
  PeerWireConnection,
  reservedWith,
  type WireMessage,
} from '../../src/protocols/bittorrent/wire/index.js'

const PIECE_BYTES = 16_384
const PIECES = 6

/** One TCP connection driven message by message; `expect` waits for a message type. */
class ScriptedPeer {
  private readonly wire: PeerWireConnection
  private readonly received: WireMessage[] = []
  private wake: (() => void) | undefined = undefined
  ended = false

  constructor(
    private readonly socket: Socket,
    pieceCount: number,
  ) {
    this.wire = new PeerWireConnection({ pieceCount })
    socket.on('data', (chunk: Buffer) => {
      this.wire.receiveBytes(instant(0), new Uint8Array(chunk))
      for (;;) {
        const next = this.wire.nextMessage()
        assert.ok(next.ok, 'the seed sent bytes we cannot decode')
        if (next.value === NEED_DATA) break
        this.received.push(next.value)
      }
      this.wake?.()
    })
    socket.on('close', () => {
      this.ended = true
      this.wake?.()
    })
  }

  send(message: WireMessage): void {
    this.wire.send(message)
    for (const bytes of this.wire.takeOutbox()) this.socket.write(bytes)
  }

  async expect<T extends WireMessage['type']>(
    type: T,
    timeoutMs = 20_000,
  ): Promise<Extract<WireMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const index = this.received.findIndex((m) => m.type === type)
      if (index !== -1) {
        return this.received.splice(index, 1)[0] as Extract<WireMessage, { type: T }>
      }
      assert.equal(this.ended, false, `the seed closed the connection before ${type}`)
      assert.ok(Date.now() < deadline, `no ${type} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        this.wake = resolve
        setTimeout(resolve, 200)
      })
    }
  }

  async closedBySeed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!this.ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.wake = resolve
        setTimeout(resolve, 200)
      })
    }
    return this.ended
  }
}

test('a plexus seed keeps a peer that re-sends bitfields and haves in any order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-bt-order-'))
  const content = randomBytes(PIECES * PIECE_BYTES - 333)
  const seed = { process: undefined as ReturnType<typeof spawnPlexus> | undefined }
  let socket: Socket | undefined
  try {
    writeFileSync(join(dir, 'data.bin'), content)
    const torrentPath = join(dir, 'data.torrent')
    const create = spawnPlexus([
      'create',
      join(dir, 'data.bin'),
      '-o',
      torrentPath,
      '--piece-length',
      String(PIECE_BYTES),
    ])
    assert.equal(await create.exited, 0)
    const parsed = parseMetainfo(readFileSync(torrentPath), new NodeHashing())
    assert.ok(parsed.ok)
    const metainfo = parsed.value
    assert.equal(metainfo.pieceCount, PIECES)
    seed.process = spawnPlexus([
      'seed',
      torrentPath,
      '--data',
      dir,
      '--bind',
      '127.0.0.1',
      '--json',
    ])
    const port = await seed.process.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'ready' ? Number(String(event['listen']).split(':').pop()) : undefined
    }, 30_000)

    const tcp = connect({ host: '127.0.0.1', port })
    socket = tcp
    await new Promise<void>((resolve, reject) => {
      tcp.once('connect', resolve)
      tcp.once('error', reject)
    })
    const peer = new ScriptedPeer(tcp, PIECES)
    peer.send({
      type: 'handshake',
      reserved: reservedWith([FAST_EXTENSION_BIT, EXTENSION_PROTOCOL_BIT]),
      infoHash: metainfo.infoHash,
      peerId: Uint8Array.from('-XX0100-orderscript0', (c) => c.charCodeAt(0)),
    })
    await peer.expect('handshake')
    await peer.expect('have_all')
    const bitfield = (...pieces: number[]): WireMessage => ({
      type: 'bitfield',
      bytes: Bitfield.of(PIECES, pieces).toBytes(),
    })
    const fetchPiece = async (index: number): Promise<void> => {
      const length = Math.min(PIECE_BYTES, content.length - index * PIECE_BYTES)
      peer.send({ type: 'request', index, begin: 0, length })
      const piece = await peer.expect('piece')
      assert.equal(piece.index, index)
      assert.deepEqual(
        Buffer.from(piece.block),
        content.subarray(index * PIECE_BYTES, index * PIECE_BYTES + length),
      )
    }

    peer.send({ type: 'have_none' })
    peer.send({ type: 'interested' })
    await peer.expect('unchoke')
    await fetchPiece(0)
    peer.send({ type: 'have', index: 0 })
    await fetchPiece(1)
    peer.send(bitfield(0, 1)) // a whole bitfield after haves
    await fetchPiece(2)
    peer.send(bitfield(0, 1, 2)) // and again
    peer.send({ type: 'have', index: 2 })
    await fetchPiece(3)
    peer.send({ type: 'have_none' }) // libtorrent takes this as "has nothing now"
    peer.send(bitfield(0, 1, 2, 3))
    await fetchPiece(4)
    await fetchPiece(5)
    assert.equal(peer.ended, false, 'the seed kept the connection through every ordering')
    peer.send({ type: 'have_all' })
    assert.ok(await peer.closedBySeed(), 'a seed parts from a peer that completed')
  } finally {
    socket?.destroy()
    seed.process?.child.kill('SIGTERM')
    await seed.process?.exited
    rmSync(dir, { recursive: true, force: true })
  }
})
