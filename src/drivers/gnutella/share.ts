/**
 * A shared folder: every regular file under `root` (symbolic links are skipped, files and
 * directories alike), with its SHA-1 URN, in a `SharedLibrary` for queries and a map from
 * index and URN to the file for the HTTP server. Paths never come from the network: the
 * server only ever opens a path recorded here.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { lstat, readdir, realpath } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { sha1Urn, SharedLibrary } from '../../protocols/gnutella/index.js'

export interface SharedEntry {
  readonly fileIndex: number
  readonly fileName: string
  /** Absolute path (inside the real path of the root). */
  readonly path: string
  readonly length: number
  readonly urn: string
}

export interface SharedFolder {
  /** The real path of the shared directory. */
  readonly root: string
  readonly library: SharedLibrary
  readonly byIndex: ReadonlyMap<number, SharedEntry>
  readonly byUrn: ReadonlyMap<string, SharedEntry>
}

export interface ScanOptions {
  /** Stop after this many files (a huge tree must not eat the memory). */
  readonly filesMax?: number
  /** Called for what is skipped and why (symbolic links, unreadable entries). */
  readonly onSkip?: (path: string, why: string) => void
}

/** The SHA-1 of a file's bytes, streamed. */
export function sha1OfFile(path: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha1')
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(new Uint8Array(hash.digest())))
  })
}

export async function scanShare(dir: string, options: ScanOptions = {}): Promise<SharedFolder> {
  const root = await realpath(dir)
  const filesMax = options.filesMax ?? 100_000
  const library = new SharedLibrary()
  const byIndex = new Map<number, SharedEntry>()
  const byUrn = new Map<string, SharedEntry>()
  const pending = [root]
  while (pending.length > 0 && byIndex.size < filesMax) {
    const current = pending.shift() as string
    let names: string[]
    try {
      names = (await readdir(current)).sort()
    } catch (error) {
      options.onSkip?.(current, (error as Error).message)
      continue
    }
    for (const name of names) {
      if (byIndex.size >= filesMax) break
      const path = join(current, name)
      const stat = await lstat(path).catch(() => undefined)
      if (stat === undefined) continue
      if (stat.isSymbolicLink()) {
        options.onSkip?.(relative(root, path), 'symbolic link, not followed')
        continue
      }
      if (stat.isDirectory()) {
        pending.push(path)
        continue
      }
      if (!stat.isFile()) continue
      const urn = sha1Urn(await sha1OfFile(path))
      const entry = { fileIndex: byIndex.size + 1, fileName: name, path, length: stat.size, urn }
      byIndex.set(entry.fileIndex, entry)
      byUrn.set(urn, entry)
      library.add({ fileIndex: entry.fileIndex, fileName: name, fileSize: stat.size, urns: [urn] })
    }
  }
  return { root, library, byIndex, byUrn }
}
