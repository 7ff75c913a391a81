import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import { requireLibtorrent, runPython } from './reference.js'

const plexusJson = (...args: string[]): Record<string, unknown> => {
  const result = spawnSync(process.execPath, [CLI_ENTRY, ...args, '--json'], { encoding: 'utf8' })
  assert.equal(result.status, 0, result.stderr)
  return JSON.parse(result.stdout) as Record<string, unknown>
}

test("plexus and libtorrent agree on the info-hash of each other's torrents", () => {
  requireLibtorrent()
  const dir = mkdtempSync(join(tmpdir(), 'plexus-interop-meta-'))
  try {
    const content = join(dir, 'content')
    mkdirSync(join(content, 'sub'), { recursive: true })
    writeFileSync(join(content, 'a.bin'), Buffer.alloc(300_000, 7))
    writeFileSync(join(content, 'sub', 'b.txt'), 'hello interop\n')
    writeFileSync(join(dir, 'single.bin'), Buffer.alloc(100_000, 3))
    for (const source of [content, join(dir, 'single.bin')]) {
      const ours = join(dir, 'plexus.torrent')
      const created = plexusJson('create', source, '-o', ours, '--piece-length', '32768')
      assert.equal(runPython('lt_torrent.py', ['info', ours]), created['infoHash'], source)
      const theirs = join(dir, 'libtorrent.torrent')
      const ltHash = runPython('lt_torrent.py', ['create', source, theirs, '32768'])
      assert.equal(plexusJson('info', theirs)['infoHash'], ltHash, source)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
