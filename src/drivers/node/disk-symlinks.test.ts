import assert from 'node:assert/strict'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { utf8 } from '../../core/bytes.js'
import type { Callback, DiskFile, FileStat } from '../../core/env.js'
import type { OperationalError } from '../../core/errors.js'
import type { Result } from '../../core/result.js'
import { writeFileAtomic } from '../disk-atomic.js'
import { NodeDisk } from './disk.js'

/**
 * Links already inside a disk root (issue 11, security 1): whatever they point at, no
 * operation follows them, and nothing outside the root is created, replaced or listed.
 */

const settle = <T>(start: (done: Callback<T>) => void) =>
  new Promise<Result<T, OperationalError>>((resolve) => start(resolve))

const base = mkdtempSync(join(tmpdir(), 'plexus-disk-links-'))
after(() => rmSync(base, { recursive: true, force: true }))

/** A root, and an 'outside' folder beside it holding a precious file. */
function world(name: string): { disk: NodeDisk; root: string; outside: string; precious: string } {
  const root = join(base, name, 'root')
  const outside = join(base, name, 'outside')
  mkdirSync(root, { recursive: true })
  mkdirSync(outside, { recursive: true })
  const precious = join(outside, 'precious')
  writeFileSync(precious, 'keep me')
  return { disk: new NodeDisk({ root }), root, outside, precious }
}

async function assertLinkRefused<T>(start: (done: Callback<T>) => void, what: string) {
  const result = await settle(start)
  assert.ok(!result.ok, `${what} was accepted`)
  assert.equal(result.error.code, 'invalid_path', result.error.message)
  assert.match(result.error.message, /symbolic link/)
}

test('a link at a file path is never opened, in any mode, nor stat-ed through', async () => {
  const { disk, root, precious } = world('file-link')
  symlinkSync(precious, join(root, 'data.bin'))
  for (const mode of ['read', 'readwrite', 'create'] as const) {
    await assertLinkRefused<DiskFile>((done) => disk.open('data.bin', mode, done), mode)
  }
  await assertLinkRefused((done) => disk.stat('data.bin', done), 'stat')
  assert.equal(readFileSync(precious, 'utf8'), 'keep me')
})

test('a dangling link creates nothing outside', async () => {
  const { disk, root, outside } = world('dangling')
  symlinkSync(join(outside, 'planted'), join(root, 'new.bin'))
  await assertLinkRefused<DiskFile>((done) => disk.open('new.bin', 'create', done), 'create')
  assert.ok(!existsSync(join(outside, 'planted')))
})

test('a linked directory is not entered by open, mkdir, list, stat, rename or remove', async () => {
  const { disk, root, outside, precious } = world('dir-link')
  mkdirSync(join(root, 'torrent'))
  symlinkSync(outside, join(root, 'torrent', 'sub'))
  const opened = await settle<DiskFile>((done) => disk.open('torrent/inside', 'create', done))
  assert.ok(opened.ok)
  await settle((done) => opened.value.close(done))
  await assertLinkRefused<DiskFile>(
    (done) => disk.open('torrent/sub/precious', 'readwrite', done),
    'open',
  )
  await assertLinkRefused<DiskFile>((done) => disk.open('torrent/sub/new', 'create', done), 'new')
  await assertLinkRefused((done) => disk.mkdir('torrent/sub/deeper', done), 'mkdir below')
  await assertLinkRefused((done) => disk.mkdir('torrent/sub', done), 'mkdir of the link')
  await assertLinkRefused((done) => disk.list('torrent/sub', done), 'list')
  await assertLinkRefused((done) => disk.stat('torrent/sub/precious', done), 'stat')
  await assertLinkRefused((done) => disk.stat('torrent/sub', done), 'stat of the link')
  await assertLinkRefused((done) => disk.syncDirectory('torrent/sub', done), 'sync')
  await assertLinkRefused((done) => disk.rename('torrent/inside', 'torrent/sub/x', done), 'to')
  await assertLinkRefused((done) => disk.rename('torrent/sub/precious', 'stolen', done), 'from')
  await assertLinkRefused((done) => disk.remove('torrent/sub/precious', done), 'remove')
  assert.deepEqual(readdirSync(outside), ['precious'])
  assert.equal(readFileSync(precious, 'utf8'), 'keep me')
})

test('a linked state folder does not receive an atomic write', async () => {
  const { disk, root, outside } = world('state-link')
  symlinkSync(outside, join(root, '.plexus'))
  const written = await settle<void>((done) =>
    writeFileAtomic(disk, '.plexus/abc.resume', utf8('forged'), done),
  )
  assert.ok(!written.ok)
  assert.equal(written.error.code, 'invalid_path')
  assert.deepEqual(readdirSync(outside), ['precious'])
})

test('the root itself may be a link, and real folders below it still work', async () => {
  const { root } = world('root-link')
  const alias = join(base, 'root-link', 'alias')
  symlinkSync(root, alias)
  const disk = new NodeDisk({ root: alias })
  assert.ok((await settle((done) => disk.mkdir('a/b/c', done))).ok)
  const opened = await settle<DiskFile>((done) => disk.open('a/b/c/f', 'create', done))
  assert.ok(opened.ok)
  assert.ok((await settle((done) => opened.value.write(0, utf8('hi'), done))).ok)
  await settle((done) => opened.value.close(done))
  assert.equal(readFileSync(join(root, 'a', 'b', 'c', 'f'), 'utf8'), 'hi')
  const stat = await settle<FileStat | undefined>((done) => disk.stat('a/b/c/f', done))
  assert.ok(stat.ok && stat.value?.kind === 'file' && stat.value.size === 2)
  assert.ok(typeof stat.value.modified === 'number' && stat.value.modified > 0)
})

test('a file where a folder is needed is an io error, not a link refusal', async () => {
  const { disk, root } = world('file-level')
  writeFileSync(join(root, 'plain'), 'x')
  const made = await settle((done) => disk.mkdir('plain/sub', done))
  assert.ok(!made.ok && made.error.code === 'io', JSON.stringify(made))
})
