import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
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

export interface LineProcess {
  readonly child: ChildProcess
  /** Resolves with the first stdout line for which `match` returns a value. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs?: number): Promise<T>
  readonly exited: Promise<number>
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<number>
}

/** Starts a process whose stdout is JSON lines (lt_session.py, plexus --json). */
export function spawnLines(command: string, args: readonly string[]): LineProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> })
  const stderr: string[] = []
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 200) stderr.push(chunk.toString())
  })
  const exited = new Promise<number>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit(code ?? (signal === null ? 1 : 128)))
  })
  const waitForLine = <T>(match: (line: string) => T | undefined, timeoutMs = 60_000) =>
    new Promise<T>((resolveLine, reject) => {
      const fail = (why: string): void =>
        reject(new Error(`${why}: ${command} ${args.join(' ')}\nstderr: ${stderr.join('')}`))
      const timer = setTimeout(() => {
        lines.off('line', onLine)
        fail(`no expected line in ${timeoutMs} ms`)
      }, timeoutMs)
      const onLine = (line: string): void => {
        const value = match(line)
        if (value === undefined) return
        clearTimeout(timer)
        lines.off('line', onLine)
        resolveLine(value)
      }
      lines.on('line', onLine)
      void exited.then((code) => {
        clearTimeout(timer)
        fail(`exited with ${code} before the expected line`)
      })
    })
  const stop = async (): Promise<number> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      const code = await exited
      clearTimeout(killer)
      return code
    }
    return exited
  }
  return { child, waitForLine, exited, stop }
}

/** Parses a JSON line into an object with a string `type`. */
export function event(line: string): { type: string; [key: string]: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(line)
    if (typeof value === 'object' && value !== null && 'type' in value) {
      return value as { type: string }
    }
  } catch {
    return undefined
  }
  return undefined
}

export const sha256File = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex')
