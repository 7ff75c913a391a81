import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resolveBindHost } from './bind-host.js'
import { CliError } from './output.js'

test('--bind: IP literals pass through untouched, brackets dropped', async () => {
  const never = (): Promise<string> => Promise.reject(new Error('must not resolve a literal'))
  assert.equal(await resolveBindHost('127.0.0.1', never), '127.0.0.1')
  assert.equal(await resolveBindHost('::', never), '::')
  assert.equal(await resolveBindHost('[::1]', never), '::1')
})

test('--bind: a host name is resolved once', async () => {
  assert.equal(await resolveBindHost('localhost'), '127.0.0.1')
  assert.equal(await resolveBindHost('box', () => Promise.resolve('10.1.2.3')), '10.1.2.3')
})

test('--bind: a name that does not resolve is a one-line CliError (exit 1)', async () => {
  const fail = (): Promise<string> =>
    Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }))
  await assert.rejects(resolveBindHost('nosuch', fail), (error: unknown) => {
    assert.ok(error instanceof CliError)
    assert.equal(error.exitCode, 1)
    assert.match(error.message, /--bind nosuch: cannot resolve this host name \(ENOTFOUND\)/)
    return true
  })
})
