import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { parse } from 'smol-toml'
import { CLI_ENTRY } from '../../src/cli/spawn.js'
import { startTestDaemon, withDataDir } from '../daemon/harness.js'
import { infoHashOf, sampleTorrent } from '../daemon/memory-peer.js'

const plexusSync = (...args: string[]) =>
  spawnSync(process.execPath, [CLI_ENTRY, ...args], { encoding: 'utf8', timeout: 60_000 })

/** Asynchronous, so that a daemon in this process keeps answering while the CLI runs. */
const plexus = (...args: string[]) =>
  new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI_ENTRY, ...args],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ status, stdout, stderr })
      },
    )
  })

const withTemp = (body: (dir: string) => void): void => {
  const dir = mkdtempSync(join(tmpdir(), 'plexus-daemon-cli-'))
  try {
    body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('daemon --print-config prints every key with its default, as TOML', () => {
  withTemp((dir) => {
    const result = plexusSync('daemon', '--print-config', '--data-dir', dir)
    assert.equal(result.status, 0, result.stderr)
    const config = parse(result.stdout) as Record<string, Record<string, unknown>>
    assert.equal(config['data_dir'] as unknown, dir)
    assert.deepEqual(Object.keys(config).sort(), [
      'api',
      'data_dir',
      'dht',
      'gnutella',
      'log',
      'mapreduce',
      'overlay',
      'peer',
      'reach',
    ])
    assert.equal(config['gnutella']?.['enabled'], false, 'no Gnutella servent unless asked')
    assert.equal(config['mapreduce']?.['enabled'], false, 'no MapReduce jobs unless asked')
    assert.equal(config['overlay']?.['enabled'], false, 'no overlay node unless asked')
    assert.equal(config['reach']?.['enabled'], false, 'no reachability service unless asked')
    assert.deepEqual({ ...config['api'] }, { bind: '127.0.0.1', port: 6890 })
    assert.equal(config['dht']?.['enabled'], false, 'no DHT under the test runner unless asked')
    assert.equal(config['peer']?.['download_dir'], join(dir, 'downloads'))
    const file = join(dir, 'plexus.toml')
    writeFileSync(file, '[dht]\nenabled = true\n[peer]\nport = 7001\n')
    const fromFile = plexusSync('daemon', '--print-config', '--config', file)
    assert.equal(fromFile.status, 0, fromFile.stderr)
    const merged = parse(fromFile.stdout) as Record<string, Record<string, unknown>>
    assert.equal(merged['peer']?.['port'], 7001)
    assert.equal(merged['dht']?.['enabled'], true)
  })
})

test('daemon: a bad config file is one line naming the key, exit 2', () => {
  withTemp((dir) => {
    const file = join(dir, 'bad.toml')
    writeFileSync(file, '[peer]\nprot = 6881\n')
    const unknown = plexusSync('daemon', '--config', file)
    assert.equal(unknown.status, 2)
    assert.equal(unknown.stderr, `plexus: error: config ${file}: unknown key peer.prot\n`)
    writeFileSync(file, '[api]\nport = "x"\n')
    const wrongType = plexusSync('daemon', '--config', file, '--json')
    assert.equal(wrongType.status, 2)
    assert.deepEqual(JSON.parse(wrongType.stderr), {
      type: 'error',
      code: 'usage',
      message: `config ${file}: api.port must be an integer (got "x")`,
    })
    // a check across keys is refused the same way
    writeFileSync(
      file,
      '[peer]\nbind = "127.0.0.1"\n[dht]\nenabled = true\n[reach]\nenabled = true\n',
    )
    const noStun = plexusSync('daemon', '--config', file)
    assert.equal(noStun.status, 2)
    assert.match(noStun.stderr, /^plexus: error: config .*: reach\.stun must name a STUN server/)
    const missing = plexusSync('daemon', '--config', join(dir, 'none.toml'))
    assert.equal(missing.status, 2)
    assert.match(missing.stderr, /^plexus: error: --config .*none\.toml: ENOENT/)
  })
})

test('daemon: a data dir that cannot be made is one line, exit 1', () => {
  withTemp((dir) => {
    const file = join(dir, 'file')
    writeFileSync(file, 'x')
    const result = plexusSync('daemon', '--data-dir', join(file, 'sub'))
    assert.equal(result.status, 1)
    assert.equal(result.stderr.split('\n').length, 2, result.stderr)
    assert.match(result.stderr, /^plexus: error: ENOTDIR.*a part of the path is a file/)
  })
})

test('remote commands without a daemon: one line, exit 1', async () => {
  await withDataDir(async (dir) => {
    const none = await plexus('list', '--data-dir', dir)
    assert.equal(none.status, 1)
    assert.equal(
      none.stderr,
      `plexus: error: no daemon is running on ${dir} (no api.json there): start \`plexus daemon\`\n`,
    )
    // A stale api.json (the daemon was killed): its port no longer answers.
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    await new Promise((resolve) => server.close(resolve))
    writeFileSync(
      join(dir, 'api.json'),
      JSON.stringify({ url: `http://127.0.0.1:${port}`, pid: 1 }),
    )
    writeFileSync(join(dir, 'api-token'), 'f'.repeat(64))
    const stale = await plexus('pause', 'ab', '--data-dir', dir, '--json')
    assert.equal(stale.status, 1)
    const error = JSON.parse(stale.stderr) as { code: string; message: string }
    assert.equal(error.code, 'not_running')
    assert.match(error.message, /no daemon answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/)
  })
})

test('the remote CLI drives a daemon: add, list, show by prefix, pause, resume, limits, remove', async () => {
  await withDataDir(async (dir) => {
    const { daemon, peer } = await startTestDaemon(dir)
    try {
      const torrentFile = join(dir, 'photos.torrent')
      const torrent = sampleTorrent('photos', [
        { path: ['a.jpg'], length: 100 },
        { path: ['b.jpg'], length: 200 },
      ])
      writeFileSync(torrentFile, torrent)
      const infoHash = infoHashOf(torrent)
      const at = ['--data-dir', dir]
      const added = await plexus('add', torrentFile, '--paused', '--skip', '1', '-o', 'pics', ...at)
      assert.equal(added.status, 0, added.stderr)
      assert.equal(added.stdout, `added photos (${infoHash}), paused\n`)
      assert.deepEqual(peer.adds[0]?.filePriorities, [4, 0])
      const again = await plexus('add', torrentFile, ...at)
      assert.equal(again.status, 1)
      assert.match(again.stderr, /^plexus: error: torrent [0-9a-f]{40} is already added\n$/)
      // Two magnets whose info-hashes share the prefix 000.
      for (const last of ['0', '1']) {
        const magnet = `magnet:?xt=urn:btih:${'0'.repeat(39)}${last}&dn=film`
        assert.equal((await plexus('add', magnet, ...at)).status, 0)
      }

      const list = await plexus('list', ...at, '--json')
      const listed = JSON.parse(list.stdout) as { type: string; torrents: { infoHash: string }[] }
      assert.equal(listed.type, 'list')
      assert.equal(listed.torrents.length, 3)
      const human = await plexus('list', ...at)
      assert.match(human.stdout, /^ID +STATE +DONE/)
      assert.match(human.stdout, new RegExp(`^${infoHash.slice(0, 8)} +paused .*photos$`, 'm'))

      const prefix = infoHash.slice(0, 6)
      const show = await plexus('show', prefix, ...at)
      assert.equal(show.status, 0, show.stderr)
      assert.match(show.stdout, /^name: +photos$/m)
      assert.match(show.stdout, /^ +1 +skip +200 B +photos\/b\.jpg$/m)
      const ambiguous = await plexus('show', '000', ...at)
      assert.equal(ambiguous.status, 2, ambiguous.stderr)
      assert.match(ambiguous.stderr, /000 matches 2 torrents/)
      const unknown = await plexus('show', infoHash.startsWith('ff') ? 'fe' : 'ff', ...at)
      assert.equal(unknown.status, 1)
      assert.match(unknown.stderr, /no torrent matches/)

      const resumed = await plexus('resume', prefix, ...at)
      assert.equal(resumed.stdout, 'resumed photos (downloading)\n')
      const paused = await plexus('pause', prefix, ...at, '--json')
      assert.equal((JSON.parse(paused.stdout) as { state: string }).state, 'paused')

      const limits = await plexus('limits', '--up', '512', ...at)
      const connections = peer.limits().connectionsMax
      assert.equal(
        limits.stdout,
        `upload: 512 KiB/s, download: unlimited, connections: ${connections}\n`,
      )
      assert.equal(peer.limits().uploadRateLimit, 512 * 1024)
      assert.equal((await plexus('limits', '--up', 'fast', ...at)).status, 2)
      const fewer = await plexus('limits', '--connections', '40', '--json', ...at)
      assert.equal((JSON.parse(fewer.stdout) as { connectionsMax: number }).connectionsMax, 40)
      assert.equal(peer.limits().connectionsMax, 40)
      assert.equal((await plexus('limits', '--connections', '0', ...at)).status, 2)

      const removed = await plexus('remove', prefix, '--delete-data', ...at)
      assert.equal(removed.stdout, `removed ${infoHash} and its files\n`)
      assert.equal(peer.torrents.has(infoHash), false)

      const wrongToken = await plexus('list', '--api', daemon.apiUrl, '--token', 'nope')
      assert.equal(wrongToken.status, 1)
      assert.match(wrongToken.stderr, /refused the token/)
    } finally {
      await daemon.stop()
    }
  })
})
