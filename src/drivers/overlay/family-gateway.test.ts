import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Address } from '../../core/address.js'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import type { Codec } from '../../core/core.js'
import type { DatagramSocket } from '../../core/env.js'
import { err, ok } from '../../core/result.js'
import { createNodeEnv } from '../node/env.js'
import { bindDatagram, promised } from '../promises.js'
import { bindDualStack, type DualStackSocket } from '../dual-stack-socket.js'
import { FamilyGateway } from './family-gateway.js'

/** A JSON codec: messages are `{ from: Address, nodes: Address[] }`. */
interface Message {
  readonly from: Address
  readonly nodes: readonly Address[]
}
const codec: Codec<unknown, string> = {
  encode: (m) => utf8(JSON.stringify(m)),
  decode: (bytes) => {
    try {
      return ok(JSON.parse(fromUtf8(bytes)) as unknown)
    } catch {
      return err('not json')
    }
  },
}

function next(socket: DatagramSocket): Promise<{ from: Address; message: Message }> {
  return new Promise((resolve) =>
    socket.onReceive((from, bytes) =>
      resolve({ from, message: JSON.parse(fromUtf8(bytes)) as Message }),
    ),
  )
}

test('an IPv6 node and the IPv4 core see each other, and every node, in their own family', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const dual = await promised<DualStackSocket>((done) =>
    bindDualStack(env.net, { host: '127.0.0.1', port: 0 }, { host: '::1', port: 0 }, done),
  )
  const core = dual.v4
  const gateway = new FamilyGateway(
    env.net,
    codec,
    { v4: '127.0.0.1', v6: '::1' },
    core.local,
    dual.v6,
    env.log,
  )
  const six = await bindDatagram(env.net, { host: '::1', port: 0 })
  const otherSix = { host: '::1', port: 9 }
  try {
    // The IPv6 node writes to the node's IPv6 address, naming itself and another IPv6 node.
    const atCore = next(core)
    six.send(dual.local6, codec.encode({ from: six.local, nodes: [otherSix, dual.local6] }))
    const got = await atCore
    // The core hears an IPv4 alias, named in the message too, and its own address for itself.
    assert.equal(got.from.host, '127.0.0.1')
    assert.deepEqual(got.message.from, got.from)
    assert.equal(got.message.nodes[0]?.host, '127.0.0.1')
    assert.notEqual(got.message.nodes[0]?.port, got.from.port)
    assert.deepEqual(got.message.nodes[1], core.local)
    // The core answers the alias; the IPv6 node gets it from the node's IPv6 address, with the
    // aliases turned back into the IPv6 nodes they stand for.
    const atSix = next(six)
    core.send(
      got.from,
      codec.encode({ from: core.local, nodes: [got.message.nodes[0] as Address] }),
    )
    const back = await atSix
    assert.deepEqual(back.from, dual.local6)
    assert.deepEqual(back.message, { from: dual.local6, nodes: [otherSix] })
    assert.equal(gateway.aliases, 3) // the main IPv6 socket, and the two IPv6 nodes' aliases
    // A datagram that does not decode goes nowhere and opens nothing.
    six.send(dual.local6, utf8('{not json'))
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(gateway.aliases, 3)
  } finally {
    six.close()
    gateway.close()
    core.close()
  }
})
