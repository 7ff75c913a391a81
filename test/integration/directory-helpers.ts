import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonLine, spawnPlexus, type PlexusProcess } from '../../src/cli/spawn.js'
import { buildInfoDict, buildTorrent } from '../../src/protocols/bittorrent/metainfo/index.js'

/** Shared by the directory's process-level tests (integration, restart, web). */

export interface RunningDirectory {
  readonly process: PlexusProcess
  readonly url: string
  readonly port: number
}

/** Starts `plexus directory --port 0 --json` on `db` and waits for its listening line. */
export async function startDirectoryProcess(
  db: string,
  extra: readonly string[] = [],
): Promise<RunningDirectory> {
  const process = spawnPlexus(['directory', '--port', '0', '--db', db, '--json', ...extra], false)
  try {
    const listening = await process.waitForLine((line) => {
      const event = jsonLine(line)
      return event?.type === 'listening' ? event : undefined
    }, 20_000)
    return { process, url: String(listening['url']), port: Number(listening['http']) }
  } catch (error) {
    await process.stop()
    throw error
  }
}

export const tempDir = (label: string): string =>
  mkdtempSync(join(tmpdir(), `plexus-directory-${label}-`))

/** A small valid .torrent (fake piece hashes: the index never checks content). */
export function makeTorrent(
  name: string,
  files: readonly { path: readonly string[]; length: number }[] = [
    { path: ['readme.txt'], length: 1000 },
    { path: ['data', `${name.length}.bin`], length: 40_000 },
  ],
): Uint8Array {
  const total = files.reduce((sum, file) => sum + file.length, 0)
  const pieceLength = 16384
  const pieces = new Uint8Array(20 * Math.ceil(total / pieceLength))
  return buildTorrent({ info: buildInfoDict({ name, files, pieceLength, pieces }) })
}

export async function publishHttp(
  url: string,
  torrent: Uint8Array,
  uploader?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/api/torrents`, {
    method: 'POST',
    body: torrent,
    headers: uploader === undefined ? {} : { 'x-uploader': encodeURIComponent(uploader) },
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

export interface ApiResult {
  readonly infoHash: string
  readonly name: string
  readonly seeders: number
  readonly leechers: number
  readonly completed: number
  readonly uploader: string
  readonly fileCount: number
}

export async function searchHttp(url: string, query: string): Promise<ApiResult[]> {
  const response = await fetch(`${url}/api/torrents?q=${encodeURIComponent(query)}&limit=500`)
  if (!response.ok) throw new Error(`search answered ${response.status}`)
  return ((await response.json()) as { results: ApiResult[] }).results
}

/** Runs a plexus command to completion; its stdout lines and exit code. */
export async function runPlexus(
  args: readonly string[],
): Promise<{ code: number; lines: string[] }> {
  const child = spawnPlexus(args, false)
  const lines: string[] = []
  child.child.stdout?.setEncoding('utf8')
  let buffered = ''
  child.child.stdout?.on('data', (chunk: string) => {
    buffered += chunk
  })
  const code = await child.exited
  lines.push(...buffered.split('\n').filter((line) => line !== ''))
  return { code, lines }
}
