import assert from 'node:assert/strict'
import { fromHex, fromUtf8, toHex, utf8 } from '../../src/core/bytes.js'
import type { HttpRequest, HttpResponse } from '../../src/core/env.js'
import type { OperationalError } from '../../src/core/errors.js'
import type { Result } from '../../src/core/result.js'
import { ms, type Instant } from '../../src/core/time.js'
import { serveHttp, type SimHttpHandler } from '../../src/sim/http/server.js'
import { SimWorld } from '../../src/sim/world.js'
import type { SimHost } from '../../src/sim/host.js'
import { MBPS, seededTest, unwrap } from './helpers.js'

const fast = { uploadBytesPerSecond: MBPS, downloadBytesPerSecond: MBPS }

/** A world with 20 ms one-way latency, a server host named tracker.test and a client host. */
function worldWithServer(
  seed: number,
  handler: SimHttpHandler,
): { world: SimWorld; server: SimHost; client: SimHost } {
  const world = new SimWorld({ seed })
  const server = world.addHost(fast)
  const client = world.addHost(fast)
  world.names.register('tracker.test', [server.address])
  serveHttp(server.env.net, { host: '0.0.0.0', port: 80 }, handler, (ready) =>
    unwrap(ready, 'listen'),
  )
  world.runUntilIdle()
  return { world, server, client }
}

interface Outcome {
  result: Result<HttpResponse, OperationalError> | undefined
  at: Instant | undefined
}

function request(world: SimWorld, client: SimHost, request: Partial<HttpRequest>): Outcome {
  const outcome: Outcome = { result: undefined, at: undefined }
  let inside = true
  client.env.http.request(
    { url: 'http://tracker.test/announce?x=1', timeout: ms(5000), bodyBytesMax: 4096, ...request },
    (result) => {
      assert.equal(inside, false, 'the callback ran inside the call')
      outcome.result = result
      outcome.at = world.now()
    },
  )
  inside = false
  return outcome
}

const codeOf = (outcome: Outcome): string =>
  outcome.result === undefined ? 'no answer' : outcome.result.ok ? 'ok' : outcome.result.error.code

seededTest(
  'the resolver answers from the world table, later, and nothing after a crash',
  91,
  (seed) => {
    const world = new SimWorld({ seed })
    const host = world.addHost(fast)
    world.names.register('Router.Example', ['10.9.9.9', '10.9.9.8'])
    const answers: string[] = []
    const note = (result: Result<readonly string[], OperationalError>): void => {
      answers.push(result.ok ? result.value.join(',') : result.error.code)
    }
    host.env.resolver.resolve('router.example', note)
    host.env.resolver.resolve('10.1.2.3', note)
    host.env.resolver.resolve('nowhere.example', note)
    host.env.resolver.resolve('router.example', note, { family: 6 })
    assert.deepEqual(answers, [], 'answered inside the call')
    world.runUntilIdle()
    assert.deepEqual(answers, ['10.9.9.9,10.9.9.8', '10.1.2.3', 'not_found', 'not_found'])
    host.env.resolver.resolve('router.example', note)
    host.crash()
    world.runUntilIdle()
    assert.equal(answers.length, 4, 'a crashed life got an answer')
  },
)

seededTest(
  'a GET crosses the simulated network: status, headers, body, round trips',
  92,
  (seed) => {
    const seen: string[] = []
    const { world, server, client } = worldWithServer(seed, (req, respond) => {
      seen.push(`${req.method} ${req.target} host=${req.headers['host']} from=${req.remote.host}`)
      respond({
        status: 200,
        headers: { 'content-type': 'text/plain' },
        body: utf8('d8:intervali1800ee'),
      })
    })
    const started = world.now()
    const outcome = request(world, client, {})
    world.runUntilIdle()
    const response = unwrap(outcome.result as Result<HttpResponse, OperationalError>, 'request')
    assert.equal(response.status, 200)
    assert.equal(response.headers['content-type'], 'text/plain')
    assert.equal(response.headers['content-length'], '18')
    assert.equal(fromUtf8(response.body), 'd8:intervali1800ee')
    assert.deepEqual(seen, [`GET /announce?x=1 host=tracker.test from=${client.address}`])
    // A handshake round trip and a request/answer round trip at 20 ms each way.
    assert.ok(
      (outcome.at as number) - started >= 80,
      `answered after ${(outcome.at as number) - started} ms`,
    )
    assert.ok(server.traffic().streamBytesReceived > 0 && client.traffic().streamBytesReceived > 18)
  },
)

seededTest('a POST carries its body; 404 is an answer', 93, (seed) => {
  const { world, client } = worldWithServer(seed, (req, respond) => {
    if (req.target !== '/api/torrents') return respond({ status: 404 })
    respond({
      status: 201,
      headers: { 'x-type': req.headers['content-type'] ?? '' },
      body: req.body,
    })
  })
  const body = utf8('d4:infod4:name3:fooee')
  const posted = request(world, client, {
    url: 'http://tracker.test/api/torrents',
    method: 'POST',
    headers: { 'content-type': 'application/x-bittorrent' },
    body,
  })
  const missing = request(world, client, { url: 'http://tracker.test/nothing' })
  world.runUntilIdle()
  const created = unwrap(posted.result as Result<HttpResponse, OperationalError>, 'post')
  assert.equal(created.status, 201)
  assert.equal(created.headers['x-type'], 'application/x-bittorrent')
  assert.deepEqual(created.body, body)
  assert.equal(unwrap(missing.result as Result<HttpResponse, OperationalError>, 'get').status, 404)
})

seededTest('a silent server times out at the deadline; a big answer is too_large', 94, (seed) => {
  const { world, client } = worldWithServer(seed, (req, respond) => {
    if (req.target === '/big') respond({ status: 200, body: new Uint8Array(10_000) })
    // Anything else: never answered.
  })
  const started = world.now()
  const silent = request(world, client, { url: 'http://tracker.test/silent', timeout: ms(700) })
  const big = request(world, client, { url: 'http://tracker.test/big' })
  const fits = request(world, client, { url: 'http://tracker.test/big', bodyBytesMax: 10_000 })
  world.runUntilIdle()
  assert.equal(codeOf(silent), 'timeout')
  assert.equal((silent.at as number) - started, 700)
  assert.equal(codeOf(big), 'too_large')
  assert.equal(codeOf(fits), 'ok')
})

seededTest('unknown names, bad URLs, a crashed server and an abort', 95, (seed) => {
  const { world, server, client } = worldWithServer(seed, (_req, respond) =>
    respond({ status: 200 }),
  )
  const unknown = request(world, client, { url: 'http://nowhere.test/' })
  const badScheme = request(world, client, { url: 'udp://tracker.test:80/announce' })
  const notUrl = request(world, client, { url: 'tracker.test/announce' })
  const closedPort = request(world, client, { url: `http://${server.address}:81/` })
  let abortedCalled = false
  const exchange = client.env.http.request(
    { url: 'http://tracker.test/', timeout: ms(5000), bodyBytesMax: 100 },
    () => (abortedCalled = true),
  )
  exchange.abort()
  world.runUntilIdle()
  assert.equal(codeOf(unknown), 'not_found')
  assert.equal(codeOf(badScheme), 'invalid_url')
  assert.equal(codeOf(notUrl), 'invalid_url')
  assert.equal(codeOf(closedPort), 'refused')
  assert.equal(abortedCalled, false)
  server.crash()
  const down = request(world, client, { timeout: ms(3000) })
  world.runUntilIdle()
  assert.ok(['timeout', 'refused', 'unreachable'].includes(codeOf(down)), codeOf(down))
})

seededTest(
  'hosts sign with real Ed25519 and hash with real SHA-1, no driver loaded',
  96,
  (seed) => {
    const world = new SimWorld({ seed })
    const env = world.addHost(fast).env
    // RFC 8032 test 1.
    const secret = fromHex(
      '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    ) as Uint8Array
    assert.equal(
      toHex(env.signing.publicKeyOf(secret)),
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    )
    const signature = env.signing.sign(secret, new Uint8Array(0))
    assert.ok(env.signing.verify(env.signing.publicKeyOf(secret), new Uint8Array(0), signature))
    assert.equal(toHex(env.hashing.sha1([utf8('abc')])), 'a9993e364706816aba3e25717850c26c9cd0d89d')
  },
)
