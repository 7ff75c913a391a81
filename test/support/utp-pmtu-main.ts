import { createHash } from 'node:crypto'
import type { StreamSocket } from '../../src/core/env.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { UtpStream } from '../../src/drivers/utp/utp-stream.js'

/**
 * One side of a uTP transfer for the path MTU bed (run inside a bed namespace, never on the
 * host). Prints JSON lines: `ready` when listening, then `received` or `sent` with the byte
 * count and SHA-256; the sender adds the packet size path MTU discovery settled on.
 * Usage: node utp-pmtu-main.js serve HOST PORT | send HOST PORT BYTES
 */
const [mode = '', host = '', portText = '', bytesText = '0'] = process.argv.slice(2)
const port = Number(portText)
const env = createNodeEnv({ loopbackOnly: false })
const print = (line: object): void => console.log(JSON.stringify(line))

/** The bytes sent: a pattern the receiver's hash checks. */
const chunk = (offset: number, length: number): Uint8Array => {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = ((offset + i) * 31 + ((offset + i) >> 9)) & 0xff
  return bytes
}

if (mode === 'serve') {
  env.net.listen(
    { host, port },
    (socket) => {
      const hash = createHash('sha256')
      let received = 0
      socket.onData((bytes) => {
        received += bytes.length
        hash.update(bytes)
      })
      socket.onClose((reason) => {
        print({ type: 'received', bytes: received, sha256: hash.digest('hex'), reason })
        process.exit(0)
      })
    },
    (listening) => {
      if (!listening.ok) throw listening.error
      print({ type: 'ready' })
    },
    { transport: 'utp' },
  )
} else if (mode === 'send') {
  const total = Number(bytesText)
  env.net.connect(
    { host, port },
    (connected) => {
      if (!connected.ok) throw connected.error
      send(connected.value, total)
    },
    { transport: 'utp' },
  )
} else {
  throw new Error('usage: serve HOST PORT | send HOST PORT BYTES')
}

function send(socket: StreamSocket, total: number): void {
  const hash = createHash('sha256')
  const started = performance.now()
  let offset = 0
  const pump = (): void => {
    while (offset < total) {
      const bytes = chunk(offset, Math.min(65_536, total - offset))
      hash.update(bytes)
      offset += bytes.length
      if (!socket.write(bytes)) return
    }
    socket.end()
  }
  socket.onDrain(pump)
  socket.onClose((reason) => {
    const packetBytes = socket instanceof UtpStream ? socket.connection.packetBytes : undefined
    const ms = Math.round(performance.now() - started)
    print({ type: 'sent', bytes: offset, sha256: hash.digest('hex'), packetBytes, ms, reason })
    process.exit(0)
  })
  pump()
}
