import type { Socket } from 'node:net'

/**
 * Length-prefixed frames over a TCP stream: a 4-byte big-endian body length, then the body (one
 * message of the mapreduce codec). A frame longer than `maxFrame` ends the connection: a peer
 * cannot make us buffer without bound.
 */

export const MAX_CONTROL_FRAME = 16 * 1024 * 1024
export const MAX_DATA_FRAME = 1024 * 1024 * 1024

export function writeFrame(socket: Socket, body: Uint8Array): boolean {
  const header = Buffer.allocUnsafe(4)
  header.writeUInt32BE(body.length, 0)
  socket.cork()
  socket.write(header)
  const drained = socket.write(body)
  socket.uncork()
  return drained
}

/** Calls `onFrame` for every complete frame read from `socket`. */
export function readFrames(
  socket: Socket,
  maxFrame: number,
  onFrame: (body: Uint8Array) => void,
): void {
  let chunks: Buffer[] = []
  let buffered = 0
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    buffered += chunk.length
    while (buffered >= 4) {
      if ((chunks[0] as Buffer).length < 4) chunks = [Buffer.concat(chunks, buffered)]
      const length = (chunks[0] as Buffer).readUInt32BE(0)
      if (length > maxFrame) {
        socket.destroy(new Error(`frame of ${length} bytes exceeds ${maxFrame}`))
        return
      }
      // Chunks are joined only once the whole frame is in: no quadratic copying of big frames.
      if (buffered < 4 + length) return
      const joined = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, buffered)
      const body = joined.subarray(4, 4 + length)
      const rest = joined.subarray(4 + length)
      chunks = rest.length > 0 ? [rest] : []
      buffered = rest.length
      onFrame(body)
      if (socket.destroyed) return
    }
  })
}
