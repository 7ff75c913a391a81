/**
 * Issue 11 (hangs 3 and 6, should-fix 1) through the CLI: `create` refuses a name that storage
 * would map to another one (a newline), naming the file; it reports the links it skips; and a
 * folder of odd but mappable names, empty files and an empty folder chain included, seeds to
 * 100 % and downloads byte-exact, from the .torrent and from a magnet.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { CLI_ENTRY, jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'

const base = mkdtempSync(join(tmpdir(), 'plexus-odd-names-'))
after(() => rmSync(base, { recursive: true, force: true }))

/** Runs a short plexus command to its end. */
function plexus(args: readonly string[]): {
  status: number | null
  stdout: string
  stderr: string
} {
  const run = spawnSync(process.execPath, [CLI_ENTRY, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: run.status, stdout: run.stdout, stderr: run.stderr }
}

test('create refuses a file name with a newline, naming the file', () => {
  const share = join(base, 'newline', 'share')
  mkdirSync(join(share, 'dir'), { recursive: true })
  writeFileSync(join(share, 'fine.txt'), 'fine')
  writeFileSync(join(share, 'dir', 'new\nline'), 'odd')
  const run = plexus(['create', share, '-o', join(base, 'newline', 'x.torrent')])
  assert.equal(run.status, 1)
  assert.match(run.stderr, /cannot share 'dir\/new%0Aline'/)
  assert.match(run.stderr, /rename it/)
})

const ODD_FILES: Record<string, Uint8Array> = {
  'with space.txt': randomBytes(10_000),
  'ünïcödé-日本.bin': randomBytes(40_000),
  'percent%0Aliteral': randomBytes(3_000),
  'hash#and?query&amp': randomBytes(1_000),
  '-leading-dash': randomBytes(17_000),
  'quote\'"s': randomBytes(2_000),
  'emoji-🎉/inner.bin': randomBytes(33_333),
  'empty-top': new Uint8Array(0),
  'deep/er/chain/empty': new Uint8Array(0),
}

async function download(args: readonly string[]): Promise<void> {
  const get = spawnPlexus(args)
  try {
    const summary = await get.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'summary' ? event : undefined
    }, 60_000)
    assert.equal(summary['complete'], true)
    assert.equal(await get.exited, 0)
  } finally {
    if (get.child.exitCode === null) await get.stop()
  }
}

test('odd but mappable names and empty files seed to 100 % and download byte-exact', async () => {
  const dir = join(base, 'odd')
  const share = join(dir, 'share')
  for (const [path, bytes] of Object.entries(ODD_FILES)) {
    const full = join(share, ...path.split('/'))
    mkdirSync(join(full, '..'), { recursive: true })
    writeFileSync(full, bytes)
  }
  symlinkSync('/etc/passwd', join(share, 'a-link'))
  const torrent = join(dir, 'share.torrent')
  const created = plexus(['create', share, '-o', torrent, '--piece-length', '16384'])
  assert.equal(created.status, 0, created.stderr)
  assert.match(created.stderr, /^skipped a-link \(symbolic link\)$/m)
  const json = plexus(['create', share, '-o', torrent, '--piece-length', '16384', '--json'])
  const described = JSON.parse(json.stdout) as { pieces: number; infoHash: string; skipped: [] }
  assert.deepEqual(described.skipped, [{ path: 'a-link', reason: 'symlink' }])

  let seed: PlexusProcess | undefined
  try {
    seed = spawnPlexus([
      'seed',
      torrent,
      '--data',
      dir,
      '--bind',
      '127.0.0.1',
      '--json',
      '--state-dir',
      join(dir, 'seed-state'),
    ])
    const ready = await seed.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'ready' ? event : undefined
    }, 30_000)
    assert.equal(ready['verifiedPieces'], described.pieces, 'the seed has every piece')
    const peer = `127.0.0.1:${String(ready['listen']).split(':').pop()}`
    const common = ['--bind', '127.0.0.1', '--peer', peer, '--no-trackers', '--json']
    const sources = [torrent, `magnet:?xt=urn:btih:${described.infoHash}`]
    for (const [index, source] of sources.entries()) {
      const out = join(dir, `out-${index}`)
      const state = ['--state-dir', join(dir, `state-${index}`)]
      await download(['get', source, '-o', out, ...common, ...state])
      for (const [path, bytes] of Object.entries(ODD_FILES)) {
        const got = readFileSync(join(out, 'share', ...path.split('/')))
        assert.deepEqual(got, Buffer.from(bytes), `${source}: ${path}`)
      }
    }
  } finally {
    await seed?.stop()
  }
})
