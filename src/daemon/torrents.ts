import { NodeHashing } from '../drivers/node/hashing.js'
import type { Log } from '../core/env.js'
import { parseMagnet, parseMetainfo } from '../protocols/bittorrent/metainfo/index.js'
import type { PeerApi, TorrentStatus } from '../peer/types.js'
import { ApiError, fromPeerError } from './api/api-error.js'
import { call } from './call.js'
import { prioritiesFromSelection } from './file-selection.js'
import type { SavedTorrent, TorrentStore } from './torrent-store.js'

export type AddSource =
  | { readonly kind: 'metainfo'; readonly bytes: Uint8Array }
  | { readonly kind: 'magnet'; readonly uri: string }

export interface AddRequest {
  readonly source: AddSource
  /** A folder inside the download dir; '' (the default) is the download dir itself. */
  readonly saveDir?: string
  readonly paused?: boolean
  /** File indexes as `plexus info` lists them (pad files left out). */
  readonly only?: readonly number[]
  readonly skip?: readonly number[]
  /** Pieces in order (streaming) instead of rarest first. */
  readonly sequential?: boolean
}

/** A saveDir is a relative path inside the download dir: no way out of it. */
function checkSaveDir(saveDir: string): string {
  const parts = saveDir.split('/').filter((part) => part !== '' && part !== '.')
  if (saveDir.startsWith('/') || saveDir.includes('\\') || saveDir.includes('\0')) {
    throw new ApiError(422, 'invalid_save_dir', `saveDir ${saveDir}: use a relative folder`)
  }
  if (parts.includes('..')) {
    throw new ApiError(422, 'invalid_save_dir', `saveDir ${saveDir}: may not contain ..`)
  }
  return parts.join('/')
}

/**
 * The daemon's torrent operations: the peer does the work, the store remembers it so that a
 * restart brings every torrent back in the same state. Refusals are ApiErrors.
 */
export class Torrents {
  private readonly hashing = new NodeHashing()
  /** Adds under way, so that the same torrent sent twice at once is refused once. */
  private readonly adding = new Set<string>()

  constructor(
    private readonly peer: PeerApi,
    private readonly store: TorrentStore,
    private readonly log: Log,
  ) {}

  async add(request: AddRequest): Promise<TorrentStatus> {
    const saveDir = checkSaveDir(request.saveDir ?? '')
    const only = request.only ?? []
    const skip = request.skip ?? []
    let infoHash: string
    let filePriorities: number[] | undefined
    if (request.source.kind === 'metainfo') {
      const parsed = parseMetainfo(request.source.bytes, this.hashing)
      if (!parsed.ok) {
        throw new ApiError(422, 'invalid_torrent', `not a valid .torrent: ${parsed.error.message}`)
      }
      infoHash = parsed.value.infoHashHex
      try {
        filePriorities = prioritiesFromSelection(parsed.value.files, only, skip)
      } catch (error) {
        throw new ApiError(422, 'invalid_selection', (error as Error).message)
      }
    } else {
      const parsed = parseMagnet(request.source.uri)
      if (!parsed.ok) {
        throw new ApiError(
          422,
          'invalid_magnet',
          `not a valid magnet link: ${parsed.error.message}`,
        )
      }
      infoHash = parsed.value.infoHashHex
      if (only.length > 0 || skip.length > 0) {
        throw new ApiError(
          422,
          'invalid_selection',
          'only / skip need the file list: add the .torrent, or set file priorities once the metadata has arrived',
        )
      }
    }
    if (this.adding.has(infoHash) || this.peer.torrent(infoHash) !== undefined) {
      throw new ApiError(409, 'duplicate', `torrent ${infoHash} is already added`)
    }
    this.adding.add(infoHash)
    try {
      return await this.addNew(infoHash, request, saveDir, filePriorities)
    } finally {
      this.adding.delete(infoHash)
    }
  }

  private async addNew(
    infoHash: string,
    request: AddRequest,
    saveDir: string,
    filePriorities: number[] | undefined,
  ): Promise<TorrentStatus> {
    const { source } = request
    const paused = request.paused ?? false
    // The .torrent is on disk before the peer has it: a crash in between loses nothing.
    if (source.kind === 'metainfo') {
      await this.store.saveMetainfo(infoHash, source.bytes).catch((error: Error) => {
        throw new ApiError(500, 'io', `cannot save the .torrent in the data dir: ${error.message}`)
      })
    }
    let status: TorrentStatus
    try {
      status = await call<TorrentStatus>((done) =>
        this.peer.add(
          {
            source,
            saveDir,
            paused,
            ...(filePriorities === undefined ? {} : { filePriorities }),
            ...(request.sequential === true ? { sequential: true } : {}),
          },
          done,
        ),
      )
    } catch (error) {
      if (source.kind === 'metainfo') await this.store.dropMetainfo(infoHash)
      throw fromPeerError(error as Error)
    }
    const entry: SavedTorrent = {
      infoHash,
      saveDir,
      paused,
      ...(source.kind === 'magnet' ? { magnet: source.uri } : {}),
      ...(filePriorities === undefined ? {} : { filePriorities }),
      ...(request.sequential === true ? { sequential: true } : {}),
    }
    try {
      await this.store.put(entry)
    } catch (error) {
      // Not remembered means not restored at the next start: undo rather than pretend.
      await call<void>((done) => this.peer.remove(infoHash, { deleteData: false }, done)).catch(
        () => undefined,
      )
      throw new ApiError(500, 'io', `cannot save the torrent list: ${(error as Error).message}`)
    }
    this.log.log('info', 'torrent added', { infoHash, name: status.name, paused })
    return status
  }

  async remove(infoHash: string, deleteData: boolean): Promise<void> {
    this.known(infoHash)
    await call<void>((done) => this.peer.remove(infoHash, { deleteData }, done)).catch(
      (error: Error) => {
        throw fromPeerError(error)
      },
    )
    await this.store.remove(infoHash)
    this.log.log('info', 'torrent removed', { infoHash, deleteData })
  }

  async pause(infoHash: string): Promise<TorrentStatus> {
    return this.setPaused(infoHash, true)
  }

  async resume(infoHash: string): Promise<TorrentStatus> {
    return this.setPaused(infoHash, false)
  }

  async setFilePriorities(infoHash: string, priorities: readonly number[]): Promise<void> {
    const detail = this.known(infoHash)
    if (detail.files.length === 0) {
      throw new ApiError(409, 'no_metadata', `torrent ${infoHash}: its file list is not known yet`)
    }
    if (priorities.length !== detail.files.length) {
      throw new ApiError(
        422,
        'invalid_priorities',
        `${priorities.length} priorities for ${detail.files.length} files`,
      )
    }
    await call<void>((done) => this.peer.setFilePriorities(infoHash, priorities, done)).catch(
      (error: Error) => {
        throw fromPeerError(error)
      },
    )
    await this.store.update(infoHash, { filePriorities: [...priorities] })
  }

  /** Re-adds every saved torrent (paused ones stay paused); returns how many came back. */
  async restore(): Promise<number> {
    let restored = 0
    for (const entry of this.store.list()) {
      try {
        const source: AddSource =
          entry.magnet !== undefined
            ? { kind: 'magnet', uri: entry.magnet }
            : { kind: 'metainfo', bytes: await this.store.readMetainfo(entry.infoHash) }
        await call<TorrentStatus>((done) =>
          this.peer.add(
            {
              source,
              saveDir: entry.saveDir,
              paused: entry.paused,
              ...(entry.sequential === true ? { sequential: true } : {}),
              ...(entry.filePriorities === undefined
                ? {}
                : { filePriorities: entry.filePriorities }),
            },
            done,
          ),
        )
        restored++
      } catch (error) {
        // One torrent that cannot come back stays in the list (nothing of it is lost) and the
        // others start: the log says which and why.
        this.log.log('error', 'torrent not restored', {
          infoHash: entry.infoHash,
          error: (error as Error).message,
        })
      }
    }
    return restored
  }

  private known(infoHash: string) {
    const detail = this.peer.torrent(infoHash)
    if (detail === undefined) throw new ApiError(404, 'not_found', `no torrent ${infoHash}`)
    return detail
  }

  private async setPaused(infoHash: string, paused: boolean): Promise<TorrentStatus> {
    this.known(infoHash)
    const status = await call<TorrentStatus>((done) =>
      paused ? this.peer.pause(infoHash, done) : this.peer.resume(infoHash, done),
    ).catch((error: Error) => {
      throw fromPeerError(error)
    })
    await this.store.update(infoHash, { paused })
    return status
  }
}
