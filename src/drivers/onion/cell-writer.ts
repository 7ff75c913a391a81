/**
 * Writes cells to a link socket, batched per turn of the event loop: the first cell of a turn
 * corks the socket and a nextTick uncorks it, so a burst of cells (a window's worth of DATA, a
 * SENDME per stream and one per circuit) leaves as one TLS write instead of one TLS record
 * and one system call per 514-byte cell.
 */
import { encodeCell, type Cell } from '../../protocols/onion/cell.js'

export interface CorkableSocket {
  cork(): void
  uncork(): void
  write(bytes: Uint8Array): boolean
}

export class BatchedCellWriter {
  private corked = false

  constructor(private readonly socket: CorkableSocket) {}

  send(cell: Cell): void {
    if (!this.corked) {
      this.corked = true
      this.socket.cork()
      process.nextTick(() => {
        this.corked = false
        this.socket.uncork()
      })
    }
    this.socket.write(encodeCell(cell))
  }
}
