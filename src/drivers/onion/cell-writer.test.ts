import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CellCommand, FIXED_CELL_BYTES } from '../../protocols/onion/cell.js'
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
