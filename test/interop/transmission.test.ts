import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import {
  event,
  freePort,
  sha256File,
  spawnLines,
  transmissionConfig,
  until,
  type LineProcess,
} from './reference.js'

/**
 * Transmission 3.00 downloads from plexus, over TCP, then over uTP alone (Transmission with
 * `utp-enabled`, plexus with `--transport utp`, which opens no TCP connection at all, so a
 * completed download moved over uTP). Transmission does not dial loopback peers a tracker
 * hands it, so plexus dials Transmission (`--peer`), which is what a user would do too.
 * Transmission cannot bind port 0 and report it, so a free port is found by binding one first.
 */
for (const transport of ['tcp', 'utp'] as const) {
  const title =
    transport === 'tcp'
      ? 'Transmission downloads from plexus (byte-exact, SHA-256)'
      : 'uTP only: Transmission downloads from plexus (byte-exact, SHA-256)'
  test(title, async () => {
    const probe = spawnSync('transmission-cli', ['--version'], { encoding: 'utf8' })
    assert.equal(probe.error, undefined, 'transmission-cli is missing (.ci/run installs it)')
    const dir = mkdtempSync(join(tmpdir(), 'plexus-interop-tr-'))
    const running: LineProcess[] = []
    try {
      const content = join(dir, 'seed', 'payload')
      mkdirSync(content, { recursive: true })
      writeFileSync(join(content, 'data.bin'), randomBytes(4 * 1024 * 1024 + 99))
      writeFileSync(join(content, 'readme.txt'), 'from plexus to transmission\n')
      const torrent = join(dir, 'payload.torrent')
      // Transmission 3.00 (Debian's) cannot parse v1 + v2 hybrids, `plexus create`'s default.
      const create = spawnSync(process.execPath, [
        CLI_ENTRY,
        'create',
        content,
        '-o',
        torrent,
        '--v1',
      ])
      assert.equal(create.status, 0, String(create.stderr))
      const config = transmissionConfig(dir, {
        'peer-limit-per-torrent': 50,
        'utp-enabled': transport === 'utp',
      })
      const port = await freePort()
      const download = join(dir, 'transmission-dl')
      mkdirSync(download)
      const transmission = spawnLines('transmission-cli', [
        '-g',
        config,
        '-w',
        download,
        '-p',
        String(port),
        '-M',
        '-et',
        '-D',
        '-U',
        torrent,
      ])
      running.push(transmission)
      // Give Transmission a moment to bind before plexus dials it.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const seed = spawnLines(process.execPath, [
        CLI_ENTRY,
        'seed',
        torrent,
        '--data',
        join(dir, 'seed'),
        '--bind',
        '127.0.0.1',
        '--peer',
        `127.0.0.1:${port}`,
        '--no-trackers',
        '--transport',
        transport,
        '--json',
      ])
      running.push(seed)
      await seed.waitForLine((line) => (event(line)?.type === 'ready' ? true : undefined))
      const target = join(download, 'payload', 'data.bin')
      const original = sha256File(join(content, 'data.bin'))
      await until(
        () => existsSync(target) && sha256File(target) === original,
        90_000,
        'Transmission',
      )
      assert.equal(
        sha256File(join(download, 'payload', 'readme.txt')),
        sha256File(join(content, 'readme.txt')),
      )
    } finally {
      await Promise.all(running.map((p) => p.stop()))
      rmSync(dir, { recursive: true, force: true })
    }
  })
}
