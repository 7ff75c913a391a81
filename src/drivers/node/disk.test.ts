import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { utf8 } from '../../core/bytes.js'
import type { Callback, DiskFile } from '../../core/env.js'
import type { OperationalError } from '../../core/errors.js'
import type { Result } from '../../core/result.js'
import { NodeDisk } from './disk.js'

const settle = <T>(start: (done: Callback<T>) => void) =>
  new Promise<Result<T, OperationalError>>((resolve) => start(resolve))

const base = mkdtempSync(join(tmpdir(), 'plexus-node-disk-'))
after(() => rmSync(base, { recursive: true, force: true }))

/** A root inside `base`, so anything that escaped it would land where the test can see it. */
function rootedDisk(name: string): { disk: NodeDisk; root: string } {
  const root = join(base, name, 'root')
  mkdirSync(root, { recursive: true })
  return { disk: new NodeDisk({ root }), root }
}

async function assertRefused<T>(start: (done: Callback<T>) => void, path: string) {
  const result = await settle(start)
  assert.ok(!result.ok, `'${path}' was accepted`)
  assert.equal(result.error.code, 'invalid_path')
  assert.ok(result.error.message.includes(path), result.error.message)
}

test('a root refuses paths that climb out of it or are absolute', async () => {
  const { disk, root } = rootedDisk('escape')
  const outside = join(root, '..')
  const hostile = ['../escape', 'a/../../escape', '..', 'a/b/../../../escape', join(outside, 'x')]
  for (const path of hostile) {
    await assertRefused((done) => disk.open(path, 'create', done), path)
    await assertRefused((done) => disk.mkdir(path, done), path)
    await assertRefused((done) => disk.stat(path, done), path)
    await assertRefused((done) => disk.list(path, done), path)
    await assertRefused((done) => disk.remove(path, done), path)
  }
  await assertRefused((done) => disk.open('/etc/passwd', 'read', done), '/etc/passwd')
  const inside = await settle<DiskFile>((done) => disk.open('inside', 'create', done))
  assert.ok(inside.ok)
  await settle((done) => inside.value.close(done))
  await assertRefused((done) => disk.rename('inside', '../escape', done), '../escape')
  await assertRefused((done) => disk.rename('../escape', 'inside', done), '../escape')
  assert.ok(!existsSync(join(outside, 'escape')), 'nothing was created outside the root')
  assert.ok(existsSync(join(root, 'inside')))
})

test('a root allows paths that stay inside it, dots included', async () => {
  const { disk, root } = rootedDisk('inside')
  assert.ok((await settle((done) => disk.mkdir('a/b', done))).ok)
  const opened = await settle<DiskFile>((done) => disk.open('a/../a/./b/f', 'create', done))
  assert.ok(opened.ok)
  assert.equal(opened.value.path, 'a/../a/./b/f')
  assert.ok((await settle((done) => opened.value.write(0, utf8('hi'), done))).ok)
  assert.ok((await settle((done) => opened.value.close(done))).ok)
  assert.equal(readFileSync(join(root, 'a', 'b', 'f'), 'utf8'), 'hi')
  const listed = await settle<string[]>((done) => disk.list('', done))
  assert.deepEqual(listed, { ok: true, value: ['a'] })
})

test('errors carry a code and name the path as the caller gave it', async () => {
  const disk = new NodeDisk({ root: base })
  const missing = await settle((done) => disk.open('no/such/file', 'read', done))
  assert.ok(!missing.ok)
  assert.equal(missing.error.code, 'not_found')
  assert.match(missing.error.message, /^open 'no\/such\/file': ENOENT/)
  // fs throws synchronously on a NUL byte; the port still answers later, with a value.
  let returned = false
  const nul = new Promise<Result<DiskFile, OperationalError>>((resolve) =>
    disk.open('bad\0name', 'create', (result) => {
      assert.ok(returned, 'callback after return')
      resolve(result)
    }),
  )
  returned = true
  const result = await nul
  assert.ok(!result.ok && result.error.code === 'io')
})

test('without a root, absolute paths work and syncDirectory syncs a directory', async () => {
  const disk = new NodeDisk()
  const directory = join(base, 'plain')
  assert.ok((await settle((done) => disk.mkdir(directory, done))).ok)
  assert.ok((await settle((done) => disk.syncDirectory(directory, done))).ok)
  const missing = await settle((done) => disk.syncDirectory(join(directory, 'nope'), done))
  assert.ok(!missing.ok && missing.error.code === 'not_found')
})
