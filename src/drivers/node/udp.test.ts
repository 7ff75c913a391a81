import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../core/address.js'
import type { DatagramSocket } from '../../core/env.js'
import { LocalProtocolError, type OperationalError } from '../../core/errors.js'
import type { Result } from '../../core/result.js'
import { MetricsRegistry } from './metrics.js'
import { bindUdp, loopbackOnlyFrom, type UdpOptions } from './udp.js'

const LOOPBACK = { host: '127.0.0.1', port: 0 }

const bind = (at: Address, options: UdpOptions = {}) =>
  new Promise<Result<DatagramSocket, OperationalError>>((resolve) => bindUdp(at, resolve, options))

async function bound(at: Address = LOOPBACK, options: UdpOptions = {}): Promise<DatagramSocket> {
  const result = await bind(at, options)
  assert.ok(result.ok, 'bind failed')
  return result.value
}

/** Polls `condition` every few ms, failing after `deadlineMs`. */
async function eventually(condition: () => boolean, what: string, deadlineMs = 5000) {
  const started = performance.now()
  while (!condition()) {
    assert.ok(performance.now() - started < deadlineMs, `never: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

test('loopback-only mode throws on a non-loopback destination, before sending', async () => {
  const socket = await bound(LOOPBACK, { loopbackOnly: true })
  // 0.0.0.0 stands for "this host" on Linux: even if the guard failed, nothing would leave.
  assert.throws(
    () => socket.send({ host: '0.0.0.0', port: 9 }, new Uint8Array(1)),
    LocalProtocolError,
  )
  socket.close()
})

test('the test runner forces loopback-only mode through PLEXUS_TEST=1', () => {
  assert.equal(loopbackOnlyFrom(true), true)
  assert.equal(loopbackOnlyFrom(false), process.env['PLEXUS_TEST'] === '1')
})

test('binding a host that is not an IP literal is a programmer error', () => {
  assert.throws(() => bindUdp({ host: 'localhost', port: 0 }, () => {}), LocalProtocolError)
})

test('binding a port in use fails with address_in_use', async () => {
  const first = await bound()
  const second = await bind(first.local)
  assert.ok(!second.ok)
  assert.equal(second.error.code, 'address_in_use')
  first.close()
})

test('IPv6 sockets are IPv6-only: the IPv4 wildcard on the same port stays free', async () => {
  const v6 = await bound({ host: '::', port: 0 })
  const v4 = await bound({ host: '0.0.0.0', port: v6.local.port })
  assert.equal(v4.local.port, v6.local.port)
  v4.close()
  v6.close()
})

test('send failures are counted, never thrown', async () => {
  const metrics = new MetricsRegistry()
  const socket = await bound(LOOPBACK, { metrics })
  const bytes = new Uint8Array(10)
  socket.send({ host: '127.0.0.1', port: 0 }, bytes)
  socket.send({ host: 'localhost', port: 9 }, bytes)
  socket.send({ host: '::1', port: 9 }, bytes)
  socket.send({ host: '127.0.0.1', port: 9 }, new Uint8Array(70_000))
  await eventually(() => metrics.counter('net.udp.send_failed') === 4, 'four failures')
  socket.close()
  socket.close()
  socket.send({ host: '127.0.0.1', port: 9 }, bytes)
  assert.equal(metrics.counter('net.udp.send_failed'), 5)
})

test('datagrams before the first onReceive are dropped and counted', async () => {
  const metrics = new MetricsRegistry()
  const [a, b] = [await bound(), await bound(LOOPBACK, { metrics })]
  a.send(b.local, new Uint8Array([1]))
  await eventually(() => metrics.counter('net.udp.received_unhandled') === 1, 'the drop')
  const next = new Promise<Uint8Array>((resolve) => b.onReceive((_, bytes) => resolve(bytes)))
  a.send(b.local, new Uint8Array([2]))
  assert.deepEqual([...(await next)], [2])
  a.close()
  b.close()
})
