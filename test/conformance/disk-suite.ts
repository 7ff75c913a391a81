import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Disk, FileStat } from '../../src/core/env.js'
import { utf8 } from '../../src/core/bytes.js'
import {
  call,
  DiskFixture,
  type DiskTest,
  failure,
  pattern,
  readAll,
  settle,
} from './disk-calls.js'
import { diskConformanceWrites } from './disk-suite-writes.js'

/**
 * The behaviour every Disk implementation must share (NodeDisk and SimDisk today), so that
 * storage code tested in the simulator behaves the same on a real file system. Each test gets
 * a fresh disk from `makeDisk`; `root` is a directory for the test's files ('' for the disk's
 * own root), created by the suite when missing.
 */

export interface DiskUnderTest {
  readonly disk: Disk
  readonly root: string
  cleanup(): void
}

export function diskConformance(name: string, makeDisk: () => DiskUnderTest): void {
  const diskTest: DiskTest = (title, body) =>
    test(title, async () => {
      const under = makeDisk()
      try {
        if (under.root !== '') await call((done) => under.disk.mkdir(under.root, done))
        await body(new DiskFixture(under.disk, under.root))
      } finally {
        under.cleanup()
      }
    })
  describe(`Disk conformance: ${name}`, () => {
    diskConformanceOpen(diskTest)
    diskConformanceFiles(diskTest)
    diskConformanceNames(diskTest)
    diskConformanceWrites(diskTest)
  })
}

function diskConformanceOpen(diskTest: DiskTest): void {
  diskTest('opening a missing file to read fails with not_found, naming the path', async (d) => {
    await failure((done) => d.disk.open(d.at('missing'), 'read', done), 'not_found', 'missing')
    await failure((done) => d.disk.open(d.at('missing'), 'readwrite', done), 'not_found')
    await failure((done) => d.disk.open(d.at('no/such/dir/f'), 'create', done), 'not_found')
  })

  diskTest('create makes an empty file and keeps an existing one as it is', async (d) => {
    const fresh = await d.open('f', 'create')
    assert.equal(fresh.path, d.at('f'))
    assert.equal(await call<number>((done) => fresh.size(done)), 0)
    await call((done) => fresh.write(0, utf8('hello'), done))
    await call((done) => fresh.close(done))
    const again = await d.open('f', 'create')
    assert.deepEqual(await readAll(again), utf8('hello'))
    await call((done) => again.close(done))
  })

  diskTest('a read-only handle refuses writes and truncation', async (d) => {
    await d.writeFile('f', utf8('data'))
    const file = await d.open('f', 'read')
    await failure((done) => file.write(0, utf8('x'), done), 'io')
    await failure((done) => file.truncate(0, done), 'io')
    await call((done) => file.close(done))
    assert.deepEqual(await d.readFile('f'), utf8('data'))
  })

  diskTest('opening a directory fails with io', async (d) => {
    await call((done) => d.disk.mkdir(d.at('dir'), done))
    for (const mode of ['read', 'readwrite', 'create'] as const) {
      await failure((done) => d.disk.open(d.at('dir'), mode, done), 'io')
    }
  })

  diskTest('after close, operations fail with closed and close stays idempotent', async (d) => {
    const file = await d.open('f', 'create')
    const pending = call((done) => file.write(0, utf8('late'), done))
    await call((done) => file.close(done)) // the write started before close still completes
    await pending
    await failure((done) => file.read(0, 4, done), 'closed')
    await failure((done) => file.write(0, utf8('x'), done), 'closed')
    await failure((done) => file.size(done), 'closed')
    await failure((done) => file.sync(done), 'closed')
    await call((done) => file.close(done))
    assert.deepEqual(await d.readFile('f'), utf8('late'))
  })
}

function diskConformanceFiles(diskTest: DiskTest): void {
  diskTest('a write past the end leaves a gap that reads as zeros', async (d) => {
    const file = await d.open('sparse', 'create')
    const far = 200_000 // past the first few 64 KiB chunks of the simulated disk
    await call((done) => file.write(0, utf8('abc'), done))
    await call((done) => file.write(far, utf8('xyz'), done))
    assert.equal(await call<number>((done) => file.size(done)), far + 3)
    const all = await readAll(file)
    assert.deepEqual(all.subarray(0, 3), utf8('abc'))
    assert.ok(
      all.subarray(3, far).every((byte) => byte === 0),
      'gap reads as zeros',
    )
    assert.deepEqual(all.subarray(far), utf8('xyz'))
    await call((done) => file.close(done))
  })

  diskTest('reads past the end are short, then empty', async (d) => {
    await d.writeFile('f', pattern(0, 10))
    const file = await d.open('f', 'read')
    assert.deepEqual(await call<Uint8Array>((done) => file.read(5, 100, done)), pattern(5, 5))
    assert.equal((await call<Uint8Array>((done) => file.read(10, 5, done))).length, 0)
    assert.equal((await call<Uint8Array>((done) => file.read(1_000_000, 5, done))).length, 0)
    assert.equal((await call<Uint8Array>((done) => file.read(0, 0, done))).length, 0)
    await call((done) => file.close(done))
  })

  diskTest('writes extend the size; an empty write does not', async (d) => {
    const file = await d.open('f', 'create')
    await call((done) => file.write(10, pattern(0, 6), done))
    assert.equal(await call<number>((done) => file.size(done)), 16)
    await call((done) => file.write(4, pattern(0, 2), done))
    assert.equal(await call<number>((done) => file.size(done)), 16)
    await call((done) => file.write(100, new Uint8Array(0), done))
    assert.equal(await call<number>((done) => file.size(done)), 16)
    await call((done) => file.close(done))
  })

  diskTest('truncate shrinks, and growing again reads zeros', async (d) => {
    const file = await d.open('f', 'create')
    await call((done) => file.write(0, pattern(1, 100), done))
    await call((done) => file.truncate(10, done))
    assert.equal(await call<number>((done) => file.size(done)), 10)
    await call((done) => file.truncate(70_000, done))
    const all = await readAll(file)
    assert.equal(all.length, 70_000)
    assert.deepEqual(all.subarray(0, 10), pattern(1, 10))
    assert.ok(
      all.subarray(10).every((byte) => byte === 0),
      'grown region reads as zeros',
    )
    await call((done) => file.sync(done))
    await call((done) => file.close(done))
  })

  diskTest('stat reports kinds and sizes, undefined when nothing is there', async (d) => {
    await d.writeFile('f', pattern(0, 1234))
    await call((done) => d.disk.mkdir(d.at('dir'), done))
    const stat = await call<FileStat | undefined>((done) => d.disk.stat(d.at('f'), done))
    assert.equal(stat?.kind, 'file')
    assert.equal(stat.size, 1234)
    // `modified` is compared only for equality: stable while nothing writes the file.
    assert.equal(typeof stat.modified, 'number')
    const again = await call<FileStat | undefined>((done) => d.disk.stat(d.at('f'), done))
    assert.equal(again?.modified, stat.modified)
    assert.equal(
      (await call<FileStat | undefined>((done) => d.disk.stat(d.at('dir'), done)))?.kind,
      'directory',
    )
    assert.equal(
      await call<FileStat | undefined>((done) => d.disk.stat(d.at('missing'), done)),
      undefined,
    )
    assert.equal(
      await call<FileStat | undefined>((done) => d.disk.stat(d.at('f/child'), done)),
      undefined,
    )
  })

  diskTest('callbacks never run inside the call, on success or failure', async (d) => {
    let returned = false
    const observed = new Promise<boolean>((resolve) => {
      d.disk.open(d.at('missing'), 'read', () => resolve(returned))
    })
    returned = true
    assert.equal(await observed, true)
    // Every other call in this suite goes through `settle`, which checks the same thing.
    const result = await settle((done) => d.disk.stat(d.at('missing'), done))
    assert.ok(result.ok)
  })
}

function diskConformanceNames(diskTest: DiskTest): void {
  diskTest('rename replaces the target at once; open handles follow the file', async (d) => {
    await d.writeFile('target', utf8('old content'))
    await d.writeFile('source', utf8('new'))
    const handle = await d.open('source', 'readwrite')
    await call((done) => d.disk.rename(d.at('source'), d.at('target'), done))
    assert.deepEqual(await d.readFile('target'), utf8('new'))
    assert.equal(
      await call<FileStat | undefined>((done) => d.disk.stat(d.at('source'), done)),
      undefined,
    )
    await call((done) => handle.write(3, utf8('er'), done))
    await call((done) => handle.close(done))
    assert.deepEqual(await d.readFile('target'), utf8('newer'))
    await failure((done) => d.disk.rename(d.at('source'), d.at('x'), done), 'not_found')
  })

  diskTest('rename moves a directory with its children', async (d) => {
    await call((done) => d.disk.mkdir(d.at('a/b'), done))
    await d.writeFile('a/b/f', utf8('deep'))
    await call((done) => d.disk.rename(d.at('a'), d.at('c'), done))
    assert.deepEqual(await d.readFile('c/b/f'), utf8('deep'))
    assert.equal(
      await call<FileStat | undefined>((done) => d.disk.stat(d.at('a'), done)),
      undefined,
    )
    await d.writeFile('file', utf8('x'))
    await failure((done) => d.disk.rename(d.at('file'), d.at('c'), done), 'io')
  })

  diskTest('remove deletes files, is idempotent, and refuses directories', async (d) => {
    await d.writeFile('f', utf8('x'))
    await call((done) => d.disk.remove(d.at('f'), done))
    assert.equal(
      await call<FileStat | undefined>((done) => d.disk.stat(d.at('f'), done)),
      undefined,
    )
    await call((done) => d.disk.remove(d.at('f'), done))
    await call((done) => d.disk.remove(d.at('no/such/dir'), done))
    await call((done) => d.disk.mkdir(d.at('dir'), done))
    await failure((done) => d.disk.remove(d.at('dir'), done), 'io')
  })

  diskTest('removeDirectory removes an empty directory only, quietly when gone', async (d) => {
    await call((done) => d.disk.mkdir(d.at('empty'), done))
    await call((done) => d.disk.removeDirectory(d.at('empty'), done))
    assert.equal(
      await call<FileStat | undefined>((done) => d.disk.stat(d.at('empty'), done)),
      undefined,
    )
    await call((done) => d.disk.removeDirectory(d.at('empty'), done))
    await call((done) => d.disk.mkdir(d.at('full'), done))
    await d.writeFile('full/f', utf8('x'))
    await failure((done) => d.disk.removeDirectory(d.at('full'), done), 'exists')
    assert.notEqual(
      await call<FileStat | undefined>((done) => d.disk.stat(d.at('full/f'), done)),
      undefined,
    )
    await failure((done) => d.disk.removeDirectory(d.at('full/f'), done), 'io')
  })

  diskTest('mkdir makes parents, repeats quietly, and list returns sorted names', async (d) => {
    await call((done) => d.disk.mkdir(d.at('a/b/c'), done))
    await call((done) => d.disk.mkdir(d.at('a/b/c'), done))
    for (const name of ['z', 'm', 'B', 'é', '10', '9']) await d.writeFile(`a/${name}`, utf8(name))
    assert.deepEqual(await call<string[]>((done) => d.disk.list(d.at('a'), done)), [
      '10',
      '9',
      'B',
      'b',
      'm',
      'z',
      'é',
    ])
    assert.deepEqual(await call<string[]>((done) => d.disk.list(d.at('a/b/c'), done)), [])
    await failure((done) => d.disk.list(d.at('missing'), done), 'not_found', 'missing')
    await failure((done) => d.disk.list(d.at('a/z'), done), 'io')
    await failure((done) => d.disk.mkdir(d.at('a/z'), done), 'io')
    await failure((done) => d.disk.mkdir(d.at('a/z/deeper'), done), 'io')
  })
}
