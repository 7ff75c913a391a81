import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import type { StreamCloseReason } from '../../src/core/core.js'
import type { StreamListener, StreamSocket } from '../../src/core/env.js'
import { NodeNet } from '../../src/drivers/node/net.js'

const MIB = 1024 * 1024

/** 10 MiB over uTP between two Node sockets on 127.0.0.1, checked by SHA-1 at both ends. */
test('10 MiB over uTP on loopback arrives intact, then both sides close', async () => {
  const server = new NodeNet({ loopbackOnly: true })
  const client = new NodeNet({ loopbackOnly: true })
  const size = 10 * MIB
  const chunk = new Uint8Array(64 * 1024)
  const expected = createHash('sha1')
  for (let i = 0; i < size / chunk.length; i++) {
    chunk.fill(i & 0xff)
    expected.update(chunk)
  }
  const received = createHash('sha1')
  let receivedBytes = 0
  const serverClosed = new Promise<StreamCloseReason>((resolve) => {
    const listening = new Promise<StreamListener>((resolveListener, reject) =>
      server.listen(
        { host: '127.0.0.1', port: 0 },
        (socket) => {
          socket.onData((bytes) => {
            received.update(bytes)
            receivedBytes += bytes.length
          })
          socket.onClose(resolve)
        },
        (ready) => (ready.ok ? resolveListener(ready.value) : reject(ready.error)),
        { transport: 'utp' },
      ),
    )
    void listening.then((listener) => {
      client.connect(
        listener.local,
        (connected) => {
          assert.ok(connected.ok)
          sendPattern(connected.value, size, chunk.length)
          connected.value.onClose((reason) => {
            clientReason = reason
            listener.close()
          })
        },
        { transport: 'utp' },
      )
    })
  })
  let clientReason: StreamCloseReason | undefined
  const started = performance.now()
  assert.equal(await serverClosed, 'end')
  const seconds = (performance.now() - started) / 1000
  assert.equal(receivedBytes, size)
  assert.equal(received.digest('hex'), expected.digest('hex'))
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(clientReason, 'local')
  // Not a benchmark (bench/utp.ts is); this only catches a collapse to timeout-driven pace.
  assert.ok(seconds < 30, `took ${seconds.toFixed(1)} s`)
})

function sendPattern(socket: StreamSocket, size: number, chunkBytes: number): void {
  let index = 0
  const pump = (): void => {
    while (index < size / chunkBytes) {
      const chunk = new Uint8Array(chunkBytes).fill(index & 0xff)
      index++
      if (!socket.write(chunk)) return
    }
    socket.end()
  }
  socket.onDrain(pump)
  pump()
}
