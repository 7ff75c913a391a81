import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The compiled CLI entry, for starting more plexus processes (demo, loopback tests). */
export const CLI_ENTRY = fileURLToPath(new URL('./main.js', import.meta.url))

export interface LineProcess {
  readonly child: ChildProcess
  /** Resolves with the first stdout line for which `match` returns a value. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs?: number): Promise<T>
  /** Resolves with the exit code. */
  readonly exited: Promise<number>
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<number>
  /** The last stdout lines (at most RECENT_LINES_MAX), for failure messages. */
  recentLines(): readonly string[]
}

export type PlexusProcess = LineProcess

export interface SpawnLinesOptions {
  /** Pass stderr through (default) or keep it for error messages. */
  readonly inheritStderr?: boolean
  /** `waitForLine`'s default deadline. */
  readonly timeoutMs?: number
}

/** Lines of stderr kept for error messages when it is not passed through. */
const STDERR_CHUNKS_MAX = 200
/** Stdout lines kept for failure messages: a timeout says what the process did last. */
const RECENT_LINES_MAX = 12
/** How long `stop` waits after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 10_000

/**
 * Starts a process whose stdout is read line by line (plexus --json, the interop helpers).
 * Used by the demo, the loopback tests and the interop tests alike.
 */
export function spawnLines(
  command: string,
  args: readonly string[],
  options: SpawnLinesOptions = {},
): LineProcess {
  const inherit = options.inheritStderr ?? true
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', inherit ? 'inherit' : 'pipe'] })
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> })
  const stderr: string[] = []
  const recent: string[] = []
  lines.on('line', (line) => {
    recent.push(line)
    if (recent.length > RECENT_LINES_MAX) recent.shift()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_CHUNKS_MAX) stderr.push(chunk.toString())
  })
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)))
  })
  const waitForLine = <T>(
    match: (line: string) => T | undefined,
    timeoutMs = options.timeoutMs ?? 10_000,
  ) =>
    new Promise<T>((resolve, reject) => {
      const fail = (why: string): void => {
        const err = stderr.length > 0 ? `\nstderr: ${stderr.join('')}` : ''
        const out = recent.length > 0 ? `\nlast stdout lines:\n${recent.join('\n')}` : ''
        reject(new Error(`${why}: ${command} ${args.join(' ')}${out}${err}`))
      }
      const timer = setTimeout(() => {
        lines.off('line', onLine)
        fail(`no matching line in ${timeoutMs} ms`)
      }, timeoutMs)
      const onLine = (line: string): void => {
        const value = match(line)
        if (value === undefined) return
        clearTimeout(timer)
        lines.off('line', onLine)
        resolve(value)
      }
      lines.on('line', onLine)
      void exited.then((code) => {
        clearTimeout(timer)
        fail(`exited with ${code} before the expected line`)
      })
    })
  const stop = async (): Promise<number> => {
    if (child.exitCode !== null || child.signalCode !== null) return exited
    child.kill('SIGTERM')
    const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
    const code = await exited
    clearTimeout(killer)
    return code
  }
  return { child, waitForLine, exited, stop, recentLines: () => [...recent] }
}

/** Starts `plexus <args>` as a child process with piped stdout. */
export function spawnPlexus(args: readonly string[], inheritStderr = true): PlexusProcess {
  return spawnLines(process.execPath, [CLI_ENTRY, ...args], { inheritStderr })
}

/** Parses a JSON line into an object with a string `type`, or undefined. */
export function jsonLine(line: string): { type: string; [key: string]: unknown } | undefined {
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
