import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { Callback } from '../core/env.js'
import { isAtomicTempName, writeFileAtomic } from './disk-atomic.js'
import { NodeDisk } from './node/disk.js'

const written = (disk: NodeDisk, path: string, text: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const done: Callback<void> = (result) =>
      result.ok ? resolve() : reject(new Error(result.error.message))
    writeFileAtomic(disk, path, new TextEncoder().encode(text), done)
  })

// Two Disk instances stand for two processes sharing one state folder (two `plexus get` of one
// torrent): with one temporary name they truncated each other's file and a rename failed with
// ENOENT, which ended the second download.
test('two Disk instances replacing one file at once never collide on the temporary file', async () => {
  const folder = mkdtempSync(join(tmpdir(), 'plexus-atomic-'))
  try {
    const path = join(folder, 'shared.resume')
    const first = new NodeDisk()
    const second = new NodeDisk()
    for (let round = 0; round < 20; round += 1) {
      await Promise.all([
        written(first, path, `first ${round}`),
        written(second, path, `second ${round}`),
      ])
      assert.match(readFileSync(path, 'utf8'), new RegExp(`^(first|second) ${round}$`))
    }
    assert.deepEqual(readdirSync(folder), ['shared.resume'])
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
})

test('temporary names carry the process id and a counter', () => {
  assert.ok(isAtomicTempName(`x.resume.tmp-${process.pid}-0`))
  assert.ok(!isAtomicTempName('x.resume'))
  assert.ok(!isAtomicTempName('x.resume.tmp-'))
})
