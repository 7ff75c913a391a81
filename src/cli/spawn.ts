import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The compiled CLI entry, for starting more plexus processes (demo, loopback tests). */
export const CLI_ENTRY = fileURLToPath(new URL('./main.js', import.meta.url))

export interface PlexusProcess {
  readonly child: ChildProcess
  /** Resolves with the first stdout line for which `match` returns a value. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs?: number): Promise<T>
  /** Resolves with the exit code. */
  exited: Promise<number>
}

/** Starts `plexus <args>` as a child process with piped stdout. */
export function spawnPlexus(args: readonly string[], inheritStderr = true): PlexusProcess {
  const child = spawn(process.execPath, [CLI_ENTRY, ...args], {
    stdio: ['ignore', 'pipe', inheritStderr ? 'inherit' : 'pipe'],
  })
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> })
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)))
  })
  const waitForLine = <T>(match: (line: string) => T | undefined, timeoutMs = 10_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        lines.off('line', onLine)
        reject(new Error(`no matching line from plexus ${args.join(' ')} in ${timeoutMs} ms`))
      }, timeoutMs)
      const onLine = (line: string): void => {
        const value = match(line)
        if (value === undefined) return
        clearTimeout(timer)
        lines.off('line', onLine)
        resolve(value)
      }
      lines.on('line', onLine)
      void exited.then(() => {
        clearTimeout(timer)
        reject(new Error(`plexus ${args.join(' ')} exited before printing the expected line`))
      })
    })
  return { child, waitForLine, exited }
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
