import { spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import {
  CLI_ENTRY,
  jsonLine,
  spawnLines as spawnLinesShared,
  spawnPlexus,
  type LineProcess,
} from '../../src/cli/spawn.js'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Locating the reference clients. Debian's python3-libtorrent installs for /usr/bin/python3
 * only, so that interpreter is named explicitly (a python3 earlier on PATH may lack it).
 */
export const SYSTEM_PYTHON = '/usr/bin/python3'

/** The repository's test/interop/python folder (these tests run from dist/test/interop). */
export function pythonScript(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) dir = resolve(dir, '..')
  return join(dir, 'test', 'interop', 'python', name)
}

export function runPython(script: string, args: readonly string[], timeoutMs = 60_000): string {
  const result = spawnSync(SYSTEM_PYTHON, [pythonScript(script), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  if (result.status !== 0) {
    throw new Error(`${script} ${args.join(' ')} failed (${result.status}): ${result.stderr}`)
  }
  return result.stdout.trim()
}

export function requireLibtorrent(): void {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import libtorrent'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    throw new Error(
      'python3-libtorrent is missing: interop tests need `apt-get install python3-libtorrent` ' +
        '(.ci/run installs it)',
    )
  }
}

/** Interop processes print JSON lines; they are read with the CLI's own helpers. */
export { jsonLine as event, type LineProcess } from '../../src/cli/spawn.js'

/** Starts a reference client (or plexus) whose stdout is JSON lines; stderr is kept. */
export const spawnLines = (command: string, args: readonly string[]): LineProcess =>
  spawnLinesShared(command, args, { inheritStderr: false, timeoutMs: 60_000 })

export const sha256File = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex')

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for clients that cannot bind port 0
 * and report it (Transmission).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Polls `check` every 250 ms until it holds, or fails naming `what`. */
export async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/**
 * A Transmission config directory under `dir` that reaches out to nothing: no DHT, LPD, port
 * mapping or uTP, plaintext tolerated, bound to 127.0.0.1. Returns its path (for `-g`).
 */
export function transmissionConfig(dir: string, extra: Record<string, unknown> = {}): string {
  const config = join(dir, 'transmission-config')
  mkdirSync(config, { recursive: true })
  writeFileSync(
    join(config, 'settings.json'),
    JSON.stringify({
      'dht-enabled': false,
      'lpd-enabled': false,
      'port-forwarding-enabled': false,
      'utp-enabled': false,
      encryption: 0,
      'bind-address-ipv4': '127.0.0.1',
      ...extra,
    }),
  )
  return config
}

// --- plexus and libtorrent processes, as the transfer interop tests drive them -------------

/** The plexus CLI of this checkout, its output read line by line. */
export const plexusCli = (...args: string[]): LineProcess =>
  spawnLines(process.execPath, [CLI_ENTRY, ...args])

/** `plexus seed` of `torrent` from `data` on 127.0.0.1, no trackers, JSON; `extra` adds flags. */
export const plexusSeedProcess = (torrent: string, data: string, ...extra: string[]): LineProcess =>
  plexusCli(
    'seed',
    torrent,
    '--data',
    data,
    '--bind',
    '127.0.0.1',
    '--no-trackers',
    ...extra,
    '--json',
  )

/** `plexus get` of `source` into `out` from the peer at 127.0.0.1:`port` alone, JSON. */
export const plexusGetFrom = (
  source: string,
  out: string,
  port: number,
  ...extra: string[]
): LineProcess =>
  plexusCli(
    'get',
    source,
    '-o',
    out,
    '--bind',
    '127.0.0.1',
    '--peer',
    `127.0.0.1:${port}`,
    '--no-trackers',
    ...extra,
    '--json',
  )

/** A libtorrent helper's arguments to fetch from 127.0.0.1:`port` and exit once complete. */
export const fetchFromPort = (port: number): string[] => [
  '--peer',
  `127.0.0.1:${port}`,
  '--exit-on-complete',
  '--timeout',
  '90',
]

/** The port a `plexus seed`/`get --json` listens on (its `ready` event). */
export const plexusListenPort = (p: LineProcess): Promise<number> =>
  p.waitForLine((line) => {
    const e = jsonLine(line)
    return e?.type === 'ready' ? Number(String(e['listen']).split(':').pop()) : undefined
  })

/** The port a libtorrent helper (lt_session.py, lt_utp.py) listens on. */
export const libtorrentListenPort = (p: LineProcess): Promise<number> =>
  p.waitForLine((line) => {
    const e = jsonLine(line)
    return e?.type === 'listening' ? Number(e['port']) : undefined
  })

/** Resolves once the process prints a JSON event of `type`. */
export const eventSeen = (p: LineProcess, type: string, timeoutMs = 90_000): Promise<unknown> =>
  p.waitForLine((line) => (jsonLine(line)?.type === type ? true : undefined), timeoutMs)

/**
 * Runs `body` in a fresh temporary folder with libtorrent required; every process it pushes
 * on `running` is stopped and the folder removed afterwards, whatever happened.
 */
export async function withLibtorrentDir(
  prefix: string,
  body: (dir: string, running: LineProcess[]) => Promise<void>,
): Promise<void> {
  requireLibtorrent()
  const dir = mkdtempSync(join(tmpdir(), prefix))
  const running: LineProcess[] = []
  try {
    await body(dir, running)
  } finally {
    await Promise.all(running.map((p) => p.stop()))
    rmSync(dir, { recursive: true, force: true })
  }
}

// --- one-shot plexus commands, as the DHT interop tests run them --------------------------

/** A finished plexus command: its exit code and every JSON object line it printed. */
export interface RunResult {
  readonly code: number
  readonly events: Record<string, unknown>[]
}

/** Runs plexus with `args` to its exit, collecting every JSON object line (typed or not). */
export async function runPlexusJson(args: readonly string[]): Promise<RunResult> {
  const child = spawnPlexus(args, false)
  const events: Record<string, unknown>[] = []
  child
    .waitForLine((line) => {
      // Every JSON object line counts (`create --json` prints one without a type).
      try {
        const value: unknown = JSON.parse(line)
        if (typeof value === 'object' && value !== null)
          events.push(value as Record<string, unknown>)
      } catch {
        // not JSON: a human line
      }
      return undefined
    }, 120_000)
    .catch(() => undefined)
  const code = await child.exited
  return { code, events }
}

/** The last JSON line a command printed (its summary), or {}. */
export const lastEvent = (run: RunResult): Record<string, unknown> =>
  run.events[run.events.length - 1] ?? {}

/** A random 20-byte info-hash or target, as 40 hex digits. */
export const randomHash = (): string => randomBytes(20).toString('hex')
