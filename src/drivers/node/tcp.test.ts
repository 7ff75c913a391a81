import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import type { Address } from '../../core/address.js'
import type { StreamCloseReason } from '../../core/core.js'
import type { StreamListener, StreamSocket } from '../../core/env.js'
import { LocalProtocolError, type OperationalError } from '../../core/errors.js'
import type { Result } from '../../core/result.js'
import { ms } from '../../core/time.js'
import { connectTcp, listenTcp, type TcpOptions } from './tcp.js'

const LOOPBACK = { host: '127.0.0.1', port: 0 }
type Connected = Result<StreamSocket, OperationalError>

async function listening(
  onConnection: (socket: StreamSocket) => void = () => {},
  at: Address = LOOPBACK,
): Promise<StreamListener> {
  const result = await new Promise<Result<StreamListener, OperationalError>>((resolve) =>
    listenTcp(at, onConnection, resolve),
  )
  assert.ok(result.ok, 'listen failed')
  return result.value
}

const connecting = (remote: Address, options: TcpOptions = {}, timeout?: number) =>
  new Promise<Connected>((resolve) =>
    connectTcp(remote, resolve, timeout === undefined ? {} : { timeout: ms(timeout) }, options),
  )

const closeReason = (socket: StreamSocket) =>
  new Promise<StreamCloseReason>((resolve) => socket.onClose(resolve))

test('loopback-only mode throws on a non-loopback destination, before connecting', () => {
  // 0.0.0.0 stands for "this host" on Linux: even if the guard failed, nothing would leave.
  const remote = { host: '0.0.0.0', port: 9 }
  assert.throws(() => connectTcp(remote, () => {}, {}, { loopbackOnly: true }), LocalProtocolError)
})

test('a host that is not an IP literal, or port 0, is unreachable (asynchronously)', async () => {
  for (const remote of [
    { host: 'localhost', port: 80 },
    { host: '127.0.0.1', port: 0 },
  ]) {
    const result = await connecting(remote)
    assert.ok(!result.ok)
    assert.equal(result.error.code, 'unreachable')
  }
})

test('listening on a host that is not an IP literal is a programmer error', () => {
  assert.throws(
    () =>
      listenTcp(
        { host: 'localhost', port: 0 },
        () => {},
        () => {},
      ),
    LocalProtocolError,
  )
})

test('listening on a port in use fails with address_in_use', async () => {
  const first = await listening()
  const second = await new Promise<Result<StreamListener, OperationalError>>((resolve) =>
    listenTcp(first.local, () => {}, resolve),
  )
  assert.ok(!second.ok)
  assert.equal(second.error.code, 'address_in_use')
  first.close()
})

test('connect gives up with timeout when the answer comes too late', async () => {
  const listener = await listening((socket) => socket.destroy())
  const result = new Promise<Connected>((resolve) =>
    connectTcp(listener.local, resolve, { timeout: ms(1) }),
  )
  // libuv runs due timers before it polls for I/O, so a loop blocked past the 1 ms timeout
  // sees the timer first, however fast loopback answered.
  const blockedUntil = performance.now() + 10
  while (performance.now() < blockedUntil);
  const outcome = await result
  assert.ok(!outcome.ok)
  assert.equal(outcome.error.code, 'timeout')
  listener.close()
})

test('write after end() is a programmer error; onClose registered late still runs', async () => {
  let server: StreamSocket | undefined
  const listener = await listening((socket) => {
    server = socket
    socket.onData(() => {})
  })
  const connected = await connecting(listener.local)
  assert.ok(connected.ok)
  const client = connected.value
  client.end()
  assert.throws(() => client.write(new Uint8Array(1)), LocalProtocolError)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.ok(server !== undefined)
  let returned = false
  const late = new Promise<boolean>((resolve) => client.onClose(() => resolve(returned)))
  returned = true
  assert.equal(await late, true, 'a late onClose ran synchronously')
  assert.equal(await closeReason(server), 'end')
  listener.close()
})

test('after end(), a far side that never closes is reset after endLinger', async () => {
  let server: StreamSocket | undefined
  const listener = await listening((socket) => {
    // Paused with bytes unread, the far side never reaches our FIN, so never sends its own.
    server = socket
    socket.pause()
    socket.onData(() => {})
  })
  const connected = await connecting(listener.local, { endLinger: ms(30) })
  assert.ok(connected.ok)
  const client = connected.value
  const closed = closeReason(client)
  client.write(new Uint8Array(1000))
  const ended = performance.now()
  client.end()
  assert.equal(await closed, 'local')
  assert.ok(performance.now() - ended >= 25, 'closed before the linger ran out')
  server?.destroy()
  listener.close()
})

test('a stream we ended does not keep the process alive while the far side stays silent', async () => {
  // The far side pauses and never reads: it never sees our FIN, so never closes its half.
  const peers: StreamSocket[] = []
  const listener = await listening((socket) => {
    peers.push(socket)
    socket.pause()
    socket.onData(() => {})
  })
  const tcpUrl = new URL('./tcp.js', import.meta.url).href
  const script = [
    `import { connectTcp } from '${tcpUrl}'`,
    `connectTcp({ host: '127.0.0.1', port: ${listener.local.port} }, (result) => {`,
    '  if (!result.ok) process.exit(4)',
    '  result.value.write(new Uint8Array(1000))',
    '  result.value.end()',
    '}, {}, {})',
  ].join('\n')
  const started = performance.now()
  const child = spawn(process.execPath, ['--input-type=module', '-e', script])
  const [code] = (await once(child, 'exit')) as [number | null]
  assert.equal(code, 0)
  // The default linger is 30 s; exiting well inside it means the ended stream held nothing.
  assert.ok(performance.now() - started < 15_000, 'the process waited for the linger')
  for (const peer of peers) peer.destroy()
  listener.close()
})

test('a burst of reads is handed over in order, every chunk but its last flagged `more`', async () => {
  // 16 MiB written at once: far more than a socket buffer, so the reader's polls find several
  // 64 KiB reads waiting even on a loaded machine.
  const total = 16 * 1024 * 1024
  const sent = new Uint8Array(total).map((_, i) => (i * 7 + 3) & 0xff)
  const listener = await listening((socket) => {
    socket.write(sent)
    socket.end()
  })
  const connected = await connecting(listener.local)
  assert.ok(connected.ok)
  const socket = connected.value
  const chunks: Uint8Array[] = []
  const flags: boolean[] = []
  let pausedOnce = false
  socket.onData((bytes, more) => {
    chunks.push(bytes)
    flags.push(more === true)
    // A pause in mid-burst: the chunk held meanwhile must come after resume, in order.
    if (!pausedOnce && more === true) {
      pausedOnce = true
      socket.pause()
      setTimeout(() => socket.resume(), 20)
    }
  })
  assert.equal(await closeReason(socket), 'end')
  listener.close()
  const received = Buffer.concat(chunks)
  assert.equal(received.length, total)
  assert.ok(received.equals(sent), 'bytes arrive intact and in order')
  // `more` promises another delivery: the last one of the stream is never flagged.
  assert.equal(flags[flags.length - 1], false)
  // 16 MiB at once reaches the reader in bursts of several 64 KiB reads per poll.
  assert.ok(pausedOnce, 'some chunk was flagged `more`')
})
