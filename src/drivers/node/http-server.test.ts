import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createHttpApp, HTTP_TIMEOUTS } from './http-server.js'

const app = () =>
  createHttpApp({
    refuse: (_request, reply, status, message) => reply.code(status).send({ error: message }),
    unmatched: (_request, reply) => reply.code(404).send({ error: 'none' }),
    onError: () => {},
  })

test('slow or idle clients are bounded: every Node server timeout is set on purpose', async () => {
  const server = app().server
  assert.equal(server.headersTimeout, 10_000)
  assert.equal(server.requestTimeout, 60_000)
  assert.equal(server.timeout, 60_000) // idle socket
  assert.equal(server.keepAliveTimeout, 5_000) // not Fastify's 72 s
  assert.deepEqual(HTTP_TIMEOUTS, {
    headersMs: 10_000,
    requestMs: 60_000,
    idleMs: 60_000,
    keepAliveMs: 5_000,
  })
})

test('an error thrown by a route is a 500 with no stack, reported to onError', async () => {
  const errors: unknown[] = []
  const server = createHttpApp({
    refuse: (_request, reply, status, message) => reply.code(status).send({ error: message }),
    unmatched: (_request, reply) => reply.code(404).send({ error: 'none' }),
    onError: (error) => errors.push(error),
  })
  server.get('/boom', () => {
    throw new Error('secret detail')
  })
  const response = await server.inject({ url: '/boom' })
  assert.equal(response.statusCode, 500)
  assert.deepEqual(response.json(), { error: 'internal error' })
  assert.equal(errors.length, 1)
  await server.close()
})
