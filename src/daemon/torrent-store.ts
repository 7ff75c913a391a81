import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from './files.js'

/**
 * The daemon's torrent list, kept in its data dir so that every torrent comes back at the next
 * start: `torrents.json` (one entry per torrent, rewritten atomically on each change) and, for
 * a torrent added from a .torrent, its bytes in `torrents/<infoHash>.torrent` (written once,
 * so that the list stays small with a thousand torrents).
 */
export interface SavedTorrent {
  readonly infoHash: string
  /** Set for a torrent added by magnet: it is re-added by the same link. */
  readonly magnet?: string
  readonly saveDir: string
  readonly paused: boolean
  readonly filePriorities?: readonly number[]
  readonly sequential?: boolean
}

interface ListFile {
  readonly version: 1
  readonly torrents: readonly SavedTorrent[]
}

export class TorrentStore {
  private readonly entries = new Map<string, SavedTorrent>()
  /** Writes run one after another: a later list never lands before an earlier one. */
  private writing: Promise<void> = Promise.resolve()

  private constructor(
    private readonly listPath: string,
    private readonly folder: string,
  ) {}

  /** Loads the list (none yet: empty); throws on a list file that is not ours. */
  static async open(listPath: string, folder: string): Promise<TorrentStore> {
    const store = new TorrentStore(listPath, folder)
    await mkdir(folder, { recursive: true })
    let text: string | undefined
    try {
      text = await readFile(listPath, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
    if (text !== undefined) {
      let parsed: Partial<ListFile>
      try {
        parsed = JSON.parse(text) as Partial<ListFile>
      } catch {
        throw new Error(`${listPath}: not a torrent list (broken JSON); move it aside to start`)
      }
      if (parsed.version !== 1 || !Array.isArray(parsed.torrents)) {
        throw new Error(`${listPath}: not a torrent list of this plexus version`)
      }
      for (const entry of parsed.torrents) store.entries.set(entry.infoHash, entry)
    }
    return store
  }

  list(): readonly SavedTorrent[] {
    return [...this.entries.values()]
  }

  get(infoHash: string): SavedTorrent | undefined {
    return this.entries.get(infoHash)
  }

  async put(entry: SavedTorrent): Promise<void> {
    this.entries.set(entry.infoHash, entry)
    await this.save()
  }

  async update(infoHash: string, change: Partial<Omit<SavedTorrent, 'infoHash'>>): Promise<void> {
    const entry = this.entries.get(infoHash)
    if (entry === undefined) return
    this.entries.set(infoHash, { ...entry, ...change })
    await this.save()
  }

  async remove(infoHash: string): Promise<void> {
    if (!this.entries.delete(infoHash)) return
    await this.save()
    await rm(this.metainfoPath(infoHash), { force: true })
  }

  async saveMetainfo(infoHash: string, bytes: Uint8Array): Promise<void> {
    await writeFileAtomic(this.metainfoPath(infoHash), bytes)
  }

  async dropMetainfo(infoHash: string): Promise<void> {
    await rm(this.metainfoPath(infoHash), { force: true })
  }

  async readMetainfo(infoHash: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.metainfoPath(infoHash)))
  }

  private metainfoPath(infoHash: string): string {
    return join(this.folder, `${infoHash}.torrent`)
  }

  private save(): Promise<void> {
    const file: ListFile = { version: 1, torrents: this.list() }
    const text = `${JSON.stringify(file, null, 1)}\n`
    const next = this.writing.then(() => writeFileAtomic(this.listPath, text))
    // A failed write must not block the ones after it; the caller still sees its failure.
    this.writing = next.catch(() => undefined)
    return next
  }
}
