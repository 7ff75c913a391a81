import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CellCommand, FIXED_CELL_BYTES, encodeCell } from '../../protocols/onion/cell.js'
import { BatchedCellWriter, type CorkableSocket } from './cell-writer.js'

/** Records what a TLS socket would send: corked writes leave together on uncork. */
class RecordingSocket implements CorkableSocket {
  readonly flushes: number[] = []
  private corks = 0
  private pending = 0
  cork(): void {
    this.corks++
  }
  uncork(): void {
    this.corks--
    if (this.corks === 0 && this.pending > 0) {
      this.flushes.push(this.pending)
      this.pending = 0
    }
  }
  write(bytes: Uint8Array): boolean {
    if (this.corks > 0) this.pending += bytes.length
    else this.flushes.push(bytes.length)
    return true
  }
}

const relayCell = { circId: 0x80000001, command: CellCommand.RELAY, payload: new Uint8Array(509) }

test('cells sent in one turn leave as one write; the next turn starts a new one', async () => {
  const socket = new RecordingSocket()
  const writer = new BatchedCellWriter(socket)
  for (let i = 0; i < 5; i++) writer.send(relayCell)
  assert.deepEqual(socket.flushes, [], 'nothing leaves before the turn ends')
  await new Promise((resolve) => setImmediate(resolve))
  writer.send(relayCell)
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(socket.flushes, [5 * FIXED_CELL_BYTES, FIXED_CELL_BYTES])
})

test('a burst larger than one batch buffer leaves corked, byte for byte as encodeCell makes it', async () => {
  const written: Uint8Array[] = []
  let corked = 0
  const socket: CorkableSocket = {
    cork: () => void corked++,
    uncork: () => void corked--,
    write: (bytes) => {
      assert.ok(corked > 0, 'several batches leave inside one cork')
      written.push(bytes.slice())
      return true
    },
  }
  const writer = new BatchedCellWriter(socket)
  const cells = Array.from({ length: 300 }, (_, i) => ({
    circId: 0x80000000 + i,
    command: i % 7 === 0 ? CellCommand.VPADDING : CellCommand.RELAY,
    payload: new Uint8Array(i % 7 === 0 ? i : 509).fill(i & 255),
  }))
  for (const cell of cells) writer.send(cell)
  await new Promise((resolve) => setImmediate(resolve))
  assert.ok(written.length > 1)
  assert.equal(corked, 0)
  assert.deepEqual(Buffer.concat(written), Buffer.concat(cells.map((cell) => encodeCell(cell))))
})
