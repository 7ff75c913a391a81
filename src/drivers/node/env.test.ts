import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromHex, toHex } from '../../core/bytes.js'
import { ms } from '../../core/time.js'
import { createNodeEnv } from './env.js'

test('the Node Env carries working signing, resolver and http ports', async () => {
  const env = createNodeEnv({ loopbackOnly: true })
  const seed = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60')
  assert.equal(
    toHex(env.signing.publicKeyOf(seed as Uint8Array)),
    'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  )
  const resolved = await new Promise<readonly string[]>((resolve, reject) =>
    env.resolver.resolve('localhost', (r) => (r.ok ? resolve(r.value) : reject(r.error)), {
      family: 4,
    }),
  )
  assert.ok(resolved.every((a) => a.startsWith('127.')))
  // Loopback-only is passed through to the HTTP client: an outside address is refused unsent.
  const code = await new Promise<string>((resolve) =>
    env.http.request(
      { url: 'http://192.0.2.1/announce', timeout: ms(1000), bodyBytesMax: 10 },
      (r) => resolve(r.ok ? 'ok' : r.error.code),
    ),
  )
  assert.equal(code, 'unreachable')
})
