import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromUtf8, utf8 } from '../../src/core/bytes.js'
import type { StreamListener } from '../../src/core/env.js'
import {
  connectTcpIce,
  listenTcpIce,
  type TcpIceConnection,
} from '../../src/drivers/holepunch/tcp-ice.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'
import { promised } from '../../src/drivers/promises.js'

/**
 * ICE-TCP checks (RFC 6544) on real sockets over 127.0.0.1: an active end connects to a
 * passive candidate, both ends check on the connection, then RFC 4571-framed datagrams flow
 * both ways, including one larger than a TCP segment. A wrong password gets the connection
 * refused by the passive end, which never reports it.
 */
const A = { ufrag: 'aaaa', pwd: 'a'.repeat(22) }
const B = { ufrag: 'bbbb', pwd: 'b'.repeat(22) }

test('ICE-TCP over loopback: active to passive, checks both ways, framed data', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const accepted: TcpIceConnection[] = []
  const passive = { local: B, remote: A, controlling: false, tieBreaker: 2n }
  const listener = await promised<StreamListener>((ready) =>
    listenTcpIce(
      env,
      { host: '127.0.0.1', port: 0 },
      { credentials: passive, timeoutMs: 5000 },
      (connection) => {
        accepted.push(connection)
        connection.onData((bytes) => connection.send(bytes.subarray(0, 8)))
      },
      ready,
    ),
  )
  try {
    const active = { local: A, remote: B, controlling: true, tieBreaker: 5n }
    const connection = await promised<TcpIceConnection>((done) =>
      connectTcpIce(
        env,
        listener.local,
        { credentials: active, timeoutMs: 5000, nominate: true },
        done,
      ),
    )
    const answers: string[] = []
    connection.onData((bytes) => answers.push(fromUtf8(bytes)))
    const big = new Uint8Array(60_000).fill(0x41)
    assert.ok(connection.send(utf8('ping-one')))
    assert.ok(connection.send(big))
    const deadline = Date.now() + 5000
    while (answers.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    assert.deepEqual(answers, ['ping-one', 'AAAAAAAA'])
    assert.equal(accepted.length, 1)
    assert.equal(accepted[0]?.nominated, true)
    connection.close()

    const wrong = { ...active, remote: { ufrag: B.ufrag, pwd: 'x'.repeat(22) } }
    const refused = await new Promise<string>((resolve) =>
      connectTcpIce(env, listener.local, { credentials: wrong, timeoutMs: 3000 }, (result) =>
        resolve(result.ok ? 'valid' : result.error.code),
      ),
    )
    assert.equal(refused, 'closed')
    assert.equal(accepted.length, 1)
  } finally {
    listener.close()
    for (const connection of accepted) connection.close()
  }
})
