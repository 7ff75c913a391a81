import assert from 'node:assert/strict'
import { test } from 'node:test'
import { addressKey, type Address } from '../core/address.js'
import type { Callback, DatagramSocket, Net } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok, type Result } from '../core/result.js'
import { bindDualStack, type DualStackSocket } from './dual-stack-socket.js'

/** A Net whose datagram binds succeed unless the address is taken; records sends and closes. */
class FakeNet implements Net {
  readonly taken = new Set<string>()
  readonly sent: string[] = []
  readonly closed: string[] = []
  private nextPort = 40000

  bindDatagram(local: Address, ready: Callback<DatagramSocket>): void {
    const bound = { host: local.host, port: local.port === 0 ? this.nextPort++ : local.port }
    const key = addressKey(bound)
    if (this.taken.has(key)) {
      return ready(err(new OperationalError('address_in_use', `${key} in use`)))
    }
    this.taken.add(key)
    ready(
      ok({
        local: bound,
        send: (to: Address) => this.sent.push(`${key}->${addressKey(to)}`),
        onReceive: () => undefined,
        close: () => this.closed.push(key),
      }),
    )
  }

  listen(): void {
    throw new Error('not used')
  }

  connect(): void {
    throw new Error('not used')
  }
}

/** The fake binds synchronously, so the result is there when bindDualStack returns. */
function bind(net: Net, v4: Address, v6: Address): Result<DualStackSocket, OperationalError> {
  let result: Result<DualStackSocket, OperationalError> | undefined
  bindDualStack(net, v4, v6, (r) => (result = r))
  assert.ok(result !== undefined)
  return result
}

test('the IPv6 socket takes the IPv4 socket’s port; datagrams leave by their family', () => {
  const net = new FakeNet()
  const bound = bind(net, { host: '127.0.0.1', port: 0 }, { host: '::1', port: 0 })
  assert.ok(bound.ok)
  assert.deepEqual(bound.value.local, { host: '127.0.0.1', port: 40000 })
  assert.deepEqual(bound.value.local6, { host: '::1', port: 40000 })
  bound.value.send({ host: '::1', port: 9 }, new Uint8Array(1))
  bound.value.send({ host: '127.0.0.1', port: 9 }, new Uint8Array(1))
  assert.deepEqual(net.sent, ['[::1]:40000->[::1]:9', '127.0.0.1:40000->127.0.0.1:9'])
  bound.value.close()
  assert.deepEqual(net.closed.sort(), ['127.0.0.1:40000', '[::1]:40000'])
})

test('with no port asked for, an IPv6 port already taken falls back to any free one', () => {
  const net = new FakeNet()
  net.taken.add('[::1]:40000')
  const bound = bind(net, { host: '127.0.0.1', port: 0 }, { host: '::1', port: 0 })
  assert.ok(bound.ok)
  assert.equal(bound.value.local.port, 40000)
  assert.equal(bound.value.local6.port, 40001)
})

test('an asked-for port taken on IPv6 fails the bind and closes the IPv4 socket', () => {
  const net = new FakeNet()
  net.taken.add('[::1]:6881')
  const bound = bind(net, { host: '127.0.0.1', port: 6881 }, { host: '::1', port: 0 })
  assert.ok(!bound.ok)
  assert.equal(bound.error.code, 'address_in_use')
  assert.deepEqual(net.closed, ['127.0.0.1:6881'])
})

test('two addresses of one family are refused before anything is bound', () => {
  const net = new FakeNet()
  const bound = bind(net, { host: '::1', port: 0 }, { host: '::', port: 0 })
  assert.ok(!bound.ok)
  assert.equal(bound.error.code, 'invalid')
  assert.equal(net.taken.size, 0)
})
