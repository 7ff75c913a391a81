import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ResolveOptions } from '../../core/env.js'
import type { OperationalError } from '../../core/errors.js'
import type { Result } from '../../core/result.js'
import { NodeResolver } from './resolver.js'

const resolver = new NodeResolver()
const resolve = (
  name: string,
  options?: ResolveOptions,
): Promise<Result<readonly string[], OperationalError>> =>
  new Promise((done) => {
    let synchronous = true
    resolver.resolve(
      name,
      (result) => {
        assert.equal(synchronous, false, 'the callback ran inside the call')
        done(result)
      },
      options,
    )
    synchronous = false
  })

test('localhost resolves to loopback, IPv4 first; family 4 gives IPv4 only', async () => {
  const all = await resolve('localhost')
  assert.ok(all.ok)
  assert.ok(all.value.length >= 1)
  assert.ok(
    all.value.every((a) => a === '::1' || a.startsWith('127.')),
    all.value.join(' '),
  )
  const v4 = await resolve('localhost', { family: 4 })
  assert.ok(v4.ok)
  assert.ok(v4.value.every((a) => a.startsWith('127.')))
  if (all.value.includes('::1')) assert.ok((all.value[0] as string).startsWith('127.'))
})

test('IP literals resolve to themselves, brackets dropped; a wrong family is not_found', async () => {
  assert.deepEqual(await resolve('10.1.2.3'), { ok: true, value: ['10.1.2.3'] })
  assert.deepEqual(await resolve('[::1]'), { ok: true, value: ['::1'] })
  const wrong = await resolve('::1', { family: 4 })
  assert.equal(wrong.ok ? '' : wrong.error.code, 'not_found')
})

test('a name under .invalid (RFC 6761: never resolves) is not_found', async () => {
  const result = await resolve('no-such-host.invalid')
  assert.equal(result.ok, false)
  assert.equal(result.ok ? '' : result.error.code, 'not_found')
})
