import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'

const sha256 = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex')
const PIECE = 64 * 1024
const PIECES = 768 // 48 MiB

/**
 * Counts `piece_verified` lines and remembers the last `checkpointed` count (what resume data
 * durably claims); `reached` resolves when `target` pieces were verified in this run.
 */
function watch(get: PlexusProcess, target: number): { reached: Promise<void>; durable(): number } {
  let count = 0
  let durable = 0
  let reachedResolve: () => void = () => undefined
  const reached = new Promise<void>((resolve) => (reachedResolve = resolve))
  void get
    .waitForLine((line) => {
      const event = jsonLine(line)
      if (event?.type === 'checkpointed') durable = Number(event['durablePieces'])
      if (event?.type === 'piece_verified' && ++count >= target) return true
      return undefined
    }, 120_000)
    .then(
      () => reachedResolve(),
      () => undefined,
    )
  return { reached, durable: () => durable }
}

test('a download killed with SIGKILL resumes byte-exact without refetching checkpointed pieces', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-resume-'))
  const running: PlexusProcess[] = []
  try {
    const seedDir = join(dir, 'seed')
    mkdirSync(seedDir)
    const file = join(seedDir, 'big.bin')
    writeFileSync(file, randomBytes(PIECES * PIECE))
    const torrent = join(dir, 'big.torrent')
    assert.equal(
      await spawnPlexus(['create', file, '-o', torrent, '--piece-length', `${PIECE}`]).exited,
      0,
    )
    const state = (name: string): string[] => ['--state-dir', join(dir, `state-${name}`)]
    const seed = spawnPlexus([
      'seed',
      torrent,
      '--data',
      seedDir,
      '--bind',
      '127.0.0.1',
      '--json',
      ...state('seed'),
    ])
    running.push(seed)
    const port = await seed.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'ready' ? String(event['listen']).split(':').pop() : undefined
    }, 60_000)
    const out = join(dir, 'download')
    const args = [
      'get',
      torrent,
      '-o',
      out,
      '--bind',
      '127.0.0.1',
      '--peer',
      `127.0.0.1:${port}`,
      '--no-trackers',
      '--json',
      ...state('get'),
    ]
    const readyVerified = (p: PlexusProcess): Promise<number> =>
      p.waitForLine((line) => {
        const event = jsonLine(line)
        return event?.type === 'ready' ? Number(event['verifiedPieces']) : undefined
      }, 60_000)

    let previous = 0
    for (const killAfter of [150, 300, 200]) {
      const get = spawnPlexus(args)
      running.push(get)
      const atStart = await readyVerified(get)
      assert.ok(atStart >= previous, `resume lost pieces: ${atStart} < ${previous}`)
      const counter = watch(get, killAfter)
      const finished = get.exited.then(() => 'exited' as const)
      const outcome = await Promise.race([counter.reached.then(() => 'reached' as const), finished])
      if (outcome === 'exited') break
      get.child.kill('SIGKILL')
      await get.exited
      // Everything a completed checkpoint claimed must survive the SIGKILL.
      previous = Math.max(atStart, counter.durable())
    }
    const last = spawnPlexus(args)
    running.push(last)
    const atStart = await readyVerified(last)
    assert.ok(atStart >= previous && atStart > 0, `after the kills only ${atStart} pieces resumed`)
    const summary = await last.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'summary' ? event : undefined
    }, 120_000)
    assert.equal(summary['complete'], true)
    // Pieces that the resume data claimed were not fetched again (endgame may duplicate a few).
    const refetchBound = (PIECES - atStart) * PIECE + 16 * PIECE
    assert.ok(
      Number(summary['downloadedBytes']) <= refetchBound,
      `refetched: ${summary['downloadedBytes']}`,
    )
    assert.equal(sha256(join(out, 'big.bin')), sha256(file))
  } finally {
    for (const p of running) if (p.child.exitCode === null) p.child.kill('SIGTERM')
    await Promise.all(running.map((p) => p.exited))
    rmSync(dir, { recursive: true, force: true })
  }
})
