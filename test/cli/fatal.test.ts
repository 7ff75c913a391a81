import assert from 'node:assert/strict'
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { CLI_ENTRY } from '../../src/cli/spawn.js'

/**
 * Fatal conditions end `seed` and `get` at once with one line and the documented exit code
 * (docs/cli.md): they used to print an error and then run until killed.
 */

interface Ran {
  readonly status: number | null
  readonly stdout: string
  readonly stderr: string
  /** Wall time to exit, to tell "ended" from "killed by our deadline". */
  readonly ms: number
}

const DEADLINE_MS = 20_000

/**
 * Runs plexus; `onStdout` may act on its output once (e.g. send a signal when it is ready),
 * returning true when it did.
 */
function run(
  args: readonly string[],
  options: SpawnOptions & { onStdout?: (text: string, pid: number) => boolean } = {},
): Promise<Ran> {
  const started = performance.now()
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  })
  let stdout = ''
  let stderr = ''
  let acted = false
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    // onStdout acts once: a second signal would be a user's "exit now" (or the default action).
    if (!acted) acted = options.onStdout?.(stdout, child.pid as number) === true
  })
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const deadline = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS)
  return new Promise((resolve) => {
    child.once('exit', (status) => {
      clearTimeout(deadline)
      resolve({ status, stdout, stderr, ms: performance.now() - started })
    })
  })
}

let dir = ''
let torrent = ''

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'plexus-fatal-'))
  const data = join(dir, 'data')
  mkdirSync(data)
  writeFileSync(join(data, 'a.bin'), Buffer.alloc(300_000, 7))
  torrent = join(dir, 'data.torrent')
  const made = spawnSync(
    process.execPath,
    [CLI_ENTRY, 'create', data, '-o', torrent, '--piece-length', '16384'],
    { encoding: 'utf8' },
  )
  assert.equal(made.status, 0, made.stderr)
})

after(() => rmSync(dir, { recursive: true, force: true }))

function listenOn(host: string): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer()
    server.listen(0, host, () => resolve(server))
  })
}

test('seed: a port in use ends the process with one line and exit 1', async () => {
  const server = await listenOn('127.0.0.1')
  const port = String((server.address() as { port: number }).port)
  try {
    const seed = ['seed', torrent, '--data', dir, '--bind', '127.0.0.1', '--port', port]
    const ran = await run(seed)
    assert.equal(ran.status, 1, ran.stderr)
    assert.match(ran.stderr, /^plexus: error: .*EADDRINUSE.*pick another --port\n$/)
    const json = await run([...seed, '--json'])
    assert.equal(json.status, 1)
    const error = JSON.parse(json.stderr) as { type: string; code: string; message: string }
    assert.equal(error.type, 'error')
    assert.equal(error.code, 'address_in_use')
  } finally {
    server.close()
  }
})

test('get: a port in use ends the process too', async () => {
  const server = await listenOn('127.0.0.1')
  const port = String((server.address() as { port: number }).port)
  try {
    const out = join(dir, 'get-port')
    const ran = await run(['get', torrent, '-o', out, '--bind', '127.0.0.1', '--port', port])
    assert.equal(ran.status, 1, ran.stderr)
    assert.match(ran.stderr, /EADDRINUSE/)
  } finally {
    server.close()
  }
})

test('seed: a --bind address this machine does not have ends the process (exit 1)', async () => {
  // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a host. Binding sends nothing.
  const ran = await run(['seed', torrent, '--data', dir, '--bind', '192.0.2.1'])
  assert.equal(ran.status, 1, ran.stderr)
  assert.match(ran.stderr, /EADDRNOTAVAIL.*no such address/)
})

test('seed: --bind localhost is resolved, not a crash', async () => {
  const ran = await run(['seed', torrent, '--data', dir, '--bind', 'localhost', '--json'], {
    onStdout: (text, pid) => {
      if (!text.includes('"type":"ready"')) return false
      return process.kill(pid, 'SIGTERM')
    },
  })
  assert.equal(ran.status, 0, ran.stderr)
  assert.match(ran.stdout, /"listen":"127\.0\.0\.1:\d+"/)
  assert.doesNotMatch(ran.stderr, /at .*\.js:\d+/, 'no stack trace')
})

test('get: an output folder that cannot be created ends at once with a clear message', async () => {
  const file = join(dir, 'plain-file')
  writeFileSync(file, 'x')
  const ran = await run(['get', torrent, '-o', join(file, 'sub'), '--peer', '127.0.0.1:9'])
  assert.equal(ran.status, 1, ran.stderr)
  assert.match(ran.stderr, /cannot write to the output folder .*plain-file\/sub/)
})

test('get: an output folder without write permission is refused, not reported as ENOENT', async () => {
  const locked = join(dir, 'locked')
  mkdirSync(locked)
  chmodSync(locked, 0o555)
  chmodSync(dir, 0o755)
  // Root writes anywhere: run the command as an unprivileged user when we are root.
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
  const ran = await run(['get', torrent, '-o', locked, '--peer', '127.0.0.1:9'], {
    ...asUser,
    env: { ...process.env, PLEXUS_STATE_DIR: join(dir, 'nobody-state') },
  })
  assert.equal(ran.status, 1, ran.stderr)
  assert.match(ran.stderr, /cannot write to the output folder .*locked: permission denied/)
})

test('get: a magnet with no tracker, no peer and no DHT says so and exits 1 at once', async () => {
  const magnet = 'magnet:?xt=urn:btih:' + 'ab'.repeat(20)
  const ran = await run(['get', magnet, '-o', join(dir, 'magnet'), '--no-dht'])
  assert.equal(ran.status, 1, ran.stderr)
  assert.match(ran.stderr, /no peer source/)
  assert.ok(ran.ms < 10_000, `took ${ran.ms} ms`)
})

test('get: Ctrl-C before the download is done exits 130', async () => {
  const ran = await run(['get', torrent, '-o', join(dir, 'int'), '--peer', '127.0.0.1:9'], {
    onStdout: (text, pid) => {
      if (!text.includes('0/19 pieces verified')) return false
      return process.kill(pid, 'SIGINT')
    },
  })
  assert.equal(ran.status, 130, ran.stdout + ran.stderr)
  assert.match(ran.stdout, /incomplete after/)
})

test('misuse exits 2 for every command, and is JSON on stderr under --json', async () => {
  const cases: (readonly string[])[] = [
    ['get'],
    ['create', dir, '-t', 'notaurl'],
    ['create', dir, '-t', 'udp://127.0.0.1/announce'],
    ['seed', torrent],
    ['info'],
    ['get', torrent, '--upload-limit', 'fast'],
  ]
  for (const args of cases) {
    const ran = await run(args)
    assert.equal(ran.status, 2, `${args.join(' ')}: ${ran.stderr}`)
  }
  const json = await run(['create', dir, '-t', 'notaurl', '--json'])
  assert.equal(json.status, 2)
  const error = JSON.parse(json.stderr) as { type: string; code: string; message: string }
  assert.deepEqual([error.type, error.code], ['error', 'usage'])
  assert.match(error.message, /--tracker expects a URL/)
})

test('get: a full disk ends the download with one line and exit 1 (no hang)', async () => {
  const content = join(dir, 'big')
  mkdirSync(content)
  writeFileSync(join(content, 'big.bin'), Buffer.alloc(3 * 1024 * 1024, 1))
  const bigTorrent = join(dir, 'big.torrent')
  const made = spawnSync(process.execPath, [CLI_ENTRY, 'create', content, '-o', bigTorrent], {
    encoding: 'utf8',
  })
  assert.equal(made.status, 0, made.stderr)
  let seedPort = ''
  const seed = spawn(
    process.execPath,
    [CLI_ENTRY, 'seed', bigTorrent, '--data', dir, '--bind', '127.0.0.1', '--json'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const ready = new Promise<void>((resolve) => {
    let text = ''
    seed.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString()
      const port = /"listen":"127\.0\.0\.1:(\d+)"/.exec(text)?.[1]
      if (port !== undefined && seedPort === '') {
        seedPort = port
        resolve()
      }
    })
  })
  try {
    await ready
    // A 1 MiB tmpfs in a mount namespace of our own (unshare -rm: no privileges needed, and
    // nothing stays mounted afterwards) holds a third of the download.
    const small = join(dir, 'small-disk')
    mkdirSync(small)
    const script =
      `mount -t tmpfs -o size=1m tmpfs '${small}' && exec '${process.execPath}' '${CLI_ENTRY}' ` +
      `get '${bigTorrent}' -o '${small}' --peer 127.0.0.1:${seedPort} --state-dir '${small}/state'`
    const started = performance.now()
    const ran = spawnSync('unshare', ['-rm', 'sh', '-c', script], {
      encoding: 'utf8',
      timeout: DEADLINE_MS,
    })
    assert.equal(ran.status, 1, ran.stdout + ran.stderr)
    assert.match(ran.stderr, /^plexus: error: .*(ENOSPC|no space).*free some space/m)
    assert.equal(ran.stderr.trim().split('\n').length, 1, ran.stderr)
    assert.ok(performance.now() - started < DEADLINE_MS)
  } finally {
    seed.kill('SIGTERM')
  }
})
