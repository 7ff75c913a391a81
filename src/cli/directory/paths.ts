import { mkdir, readFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

/** $XDG_DATA_HOME/plexus/directory.sqlite, or ~/.local/share/plexus/directory.sqlite. */
export function defaultDbPath(): string {
  const xdg = process.env['XDG_DATA_HOME']
  const base = xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.local', 'share')
  return join(base, 'plexus', 'directory.sqlite')
}

export async function ensureParentDir(path: string): Promise<void> {
  if (path === ':memory:') return
  await mkdir(dirname(path), { recursive: true })
}

/** An allow-list file: one 40-hex-digit info-hash per line; blank lines and # comments. */
export async function readAllowList(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new Error(`cannot read --allow-list ${path}: ${error.message}`)
  })
  const hashes: string[] = []
  text.split(/\r?\n/).forEach((line, index) => {
    const entry = line.replace(/#.*/, '').trim()
    if (entry === '') return
    if (!/^[0-9a-fA-F]{40}$/.test(entry)) {
      throw new Error(`--allow-list ${path}:${index + 1}: expected a 40-hex-digit info-hash`)
    }
    hashes.push(entry.toLowerCase())
  })
  return hashes
}
