/**
 * The anonymous HTTP client (web seeds) against a local server, with a stream opener standing
 * in for the circuit: each request is a stream the opener opens (so nothing leaves directly),
 * headers such as Range reach the server, and the cap, a bad URL and an opener that cannot
 * connect end in coded errors.
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import { after, before, test } from 'node:test'
import type { HttpRequest, HttpResponse } from '../../core/env.js'
import type { OperationalError } from '../../core/errors.js'
import type { Result } from '../../core/result.js'
import { ms } from '../../core/time.js'
import { OnionHttpClient } from './onion-http-client.js'

const content = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251))
let server: Server
let port: number

before(async () => {
  server = createServer((request, response) => {
    const range = /^bytes=(\d+)-(\d+)$/.exec(request.headers.range ?? '')
    if (range === null) return void response.end(content)
    response.writeHead(206)
    response.end(content.subarray(Number(range[1]), Number(range[2]) + 1))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

after(() => server.close())

function recordingOpener() {
  const destinations: string[] = []
  return {
    destinations,
    connect: (host: string, to: number): Promise<Duplex> =>
      new Promise((resolve, reject) => {
        destinations.push(`${host}:${to}`)
        const socket = connect(to, host, () => resolve(socket))
        socket.once('error', reject)
      }),
  }
}

const send = (client: OnionHttpClient, request: Partial<HttpRequest> & { url: string }) =>
  new Promise<Result<HttpResponse, OperationalError>>((resolve) =>
    client.request({ timeout: ms(5000), bodyBytesMax: 1 << 20, ...request }, resolve),
  )

test('a Range request goes through the opener and gets its bytes', async () => {
  const opener = recordingOpener()
  const answer = await send(new OnionHttpClient(opener), {
    url: `http://127.0.0.1:${port}/file`,
    headers: { range: 'bytes=100-199' },
  })
  assert.ok(answer.ok, JSON.stringify(answer))
  assert.equal(answer.value.status, 206)
  assert.deepEqual(Buffer.from(answer.value.body), content.subarray(100, 200))
  assert.deepEqual(opener.destinations, [`127.0.0.1:${port}`])
})

test('an answer above the cap is too_large', async () => {
  const answer = await send(new OnionHttpClient(recordingOpener()), {
    url: `http://127.0.0.1:${port}/file`,
    bodyBytesMax: 1000,
  })
  assert.ok(!answer.ok)
  assert.equal(answer.error.code, 'too_large')
})

test('a non-http URL is invalid_url and opens no stream', async () => {
  const opener = recordingOpener()
  const answer = await send(new OnionHttpClient(opener), { url: 'ftp://127.0.0.1/x' })
  assert.ok(!answer.ok)
  assert.equal(answer.error.code, 'invalid_url')
  assert.deepEqual(opener.destinations, [])
})

test('a circuit stream that cannot open is unreachable', async () => {
  const failing = { connect: () => Promise.reject(new Error('END reason 4 (exit policy)')) }
  const answer = await send(new OnionHttpClient(failing), { url: `http://127.0.0.1:${port}/` })
  assert.ok(!answer.ok)
  assert.equal(answer.error.code, 'unreachable')
  assert.match(answer.error.message, /exit policy/)
})
