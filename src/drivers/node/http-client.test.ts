import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import type { HttpRequest, HttpResponse } from '../../core/env.js'
import type { OperationalError } from '../../core/errors.js'
import type { Result } from '../../core/result.js'
import { ms } from '../../core/time.js'
import { NodeHttpClient } from './http-client.js'

const client = new NodeHttpClient({ loopbackOnly: true })
let server: Server
let base = ''

before(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? ''
    if (path === '/announce?x=1') {
      response.writeHead(200, { 'content-type': 'text/plain', 'x-twice': ['a', 'b'] })
      return response.end('d8:intervali1800ee')
    }
    if (path === '/missing') return response.writeHead(404).end('no such thing')
    if (path === '/silent') return // never answers: the client's deadline ends it
    if (path === '/declared-big') return response.writeHead(200, { 'content-length': 5000 }).end()
    if (path === '/streamed-big') {
      // No length given: the cap must stop the body as it arrives.
      response.writeHead(200)
      for (let i = 0; i < 10; i++) response.write(Buffer.alloc(1000, 0x61))
      return response.end()
    }
    if (path === '/echo' && request.method === 'POST') {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        response.writeHead(201, { 'x-got-type': request.headers['content-type'] ?? '' })
        response.end(Buffer.concat(chunks))
      })
      return
    }
    response.writeHead(500).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

after(() => {
  server.closeAllConnections()
  server.close()
})

function fetchOnce(
  request: Partial<HttpRequest> & { url: string },
): Promise<Result<HttpResponse, OperationalError>> {
  return new Promise((resolve) => {
    client.request({ timeout: ms(5000), bodyBytesMax: 2048, ...request }, resolve)
  })
}

function get(
  via: NodeHttpClient,
  request: HttpRequest,
): Promise<Result<HttpResponse, OperationalError>> {
  return new Promise((resolve) => via.request(request, resolve))
}

function errorCodeOf(result: Result<HttpResponse, OperationalError>): string {
  assert.equal(result.ok, false)
  return result.ok ? '' : result.error.code
}

test('a GET returns status, lower-case headers (repeats joined) and the body bytes', async () => {
  const result = await fetchOnce({ url: `${base}/announce?x=1` })
  assert.ok(result.ok)
  assert.equal(result.value.status, 200)
  assert.equal(result.value.headers['content-type'], 'text/plain')
  assert.equal(result.value.headers['x-twice'], 'a, b')
  assert.equal(Buffer.from(result.value.body).toString(), 'd8:intervali1800ee')
  assert.equal(Object.getPrototypeOf(result.value.body), Uint8Array.prototype)
})

test('a 404 is an answer, not an error', async () => {
  const result = await fetchOnce({ url: `${base}/missing` })
  assert.ok(result.ok)
  assert.equal(result.value.status, 404)
  assert.equal(Buffer.from(result.value.body).toString(), 'no such thing')
})

test('a POST sends its body and headers', async () => {
  const body = new TextEncoder().encode('d4:name3:fooe')
  const result = await fetchOnce({
    url: `${base}/echo`,
    method: 'POST',
    headers: { 'content-type': 'application/x-bittorrent' },
    body,
  })
  assert.ok(result.ok)
  assert.equal(result.value.status, 201)
  assert.equal(result.value.headers['x-got-type'], 'application/x-bittorrent')
  assert.deepEqual(result.value.body, body)
})

test('a server that never answers fails with timeout after the deadline', async () => {
  const started = performance.now()
  const result = await fetchOnce({ url: `${base}/silent`, timeout: ms(150) })
  assert.equal(errorCodeOf(result), 'timeout')
  assert.ok(performance.now() - started >= 140)
})

test('bodies above the cap fail with too_large, declared or streamed', async () => {
  assert.equal(errorCodeOf(await fetchOnce({ url: `${base}/declared-big` })), 'too_large')
  assert.equal(errorCodeOf(await fetchOnce({ url: `${base}/streamed-big` })), 'too_large')
  const fits = await fetchOnce({ url: `${base}/streamed-big`, bodyBytesMax: 10_000 })
  assert.ok(fits.ok)
  assert.equal(fits.value.body.length, 10_000)
})

test('bad URLs, other schemes, closed ports and hosts off loopback fail with a code', async () => {
  assert.equal(errorCodeOf(await fetchOnce({ url: 'not a url' })), 'invalid_url')
  assert.equal(errorCodeOf(await fetchOnce({ url: 'udp://127.0.0.1:1/announce' })), 'invalid_url')
  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const port = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  assert.equal(errorCodeOf(await fetchOnce({ url: `http://127.0.0.1:${port}/` })), 'refused')
  assert.equal(errorCodeOf(await fetchOnce({ url: 'http://10.1.2.3/announce' })), 'unreachable')
})

test('an aborted exchange never calls back', async () => {
  let called = false
  const exchange = client.request(
    { url: `${base}/silent`, timeout: ms(100), bodyBytesMax: 10 },
    () => {
      called = true
    },
  )
  exchange.abort()
  // Past the deadline the exchange would have had: still nothing.
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.equal(called, false)
})

/** A server that counts its connections, answering every request with 'ok'. */
async function countingServer(): Promise<{
  url: string
  connections: () => number
  close(): void
}> {
  let connections = 0
  const counting = createServer((_request, response) => response.end('ok'))
  counting.keepAliveTimeout = 60_000
  counting.on('connection', () => connections++)
  await new Promise<void>((resolve) => counting.listen(0, '127.0.0.1', resolve))
  const port = (counting.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}/x`,
    connections: () => connections,
    close: () => {
      counting.closeAllConnections()
      counting.close()
    },
  }
}

test('keepAlive requests share one connection; plain ones open one each', async () => {
  const counting = await countingServer()
  try {
    const request = { url: counting.url, timeout: ms(5_000), bodyBytesMax: 100 }
    const kept = new NodeHttpClient({ loopbackOnly: true })
    for (let i = 0; i < 3; i++) {
      const answer = await get(kept, { ...request, keepAlive: true })
      assert.ok(answer.ok)
      assert.equal(Buffer.from(answer.value.body).toString(), 'ok')
    }
    assert.equal(counting.connections(), 1, 'three requests, one connection')
    for (let i = 0; i < 2; i++) assert.ok((await get(kept, request)).ok)
    assert.equal(counting.connections(), 3, 'connection: close requests open their own')
  } finally {
    counting.close()
  }
})

test('an idle kept connection does not keep a process alive', async () => {
  const counting = await countingServer()
  try {
    const module = new URL('./http-client.js', import.meta.url).href
    const script = [
      `import { NodeHttpClient } from ${JSON.stringify(module)}`,
      'new NodeHttpClient({ loopbackOnly: true }).request(',
      `  { url: ${JSON.stringify(counting.url)}, timeout: 5000, bodyBytesMax: 100, keepAlive: true },`,
      '  (answer) => console.log(answer.ok ? "answered" : "failed"),',
      ')',
    ].join('\n')
    const { spawn } = await import('node:child_process')
    const child = spawn(process.execPath, ['--input-type=module', '-e', script])
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
    const started = Date.now()
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    assert.equal(out.trim(), 'answered')
    assert.equal(code, 0)
    // The server would hold the connection 60 s; the process ends at once regardless.
    assert.ok(Date.now() - started < 20_000, 'the process exited with the connection still open')
    assert.equal(counting.connections(), 1)
  } finally {
    counting.close()
  }
})
