import type { Result } from '../core/result.js'
import type { OperationalError } from '../core/errors.js'
import {
  checkStoredData,
  recordStoredData,
  type StoredData,
  type StoredDataOptions,
} from '../drivers/bittorrent/stored-data.js'
import type { Metainfo } from '../protocols/bittorrent/metainfo/index.js'
import type { TorrentHost } from './torrent-host.js'
import type { TorrentId } from './types.js'

/** The torrent's settings the check runs with. */
export interface PausedCheckSettings {
  readonly saveDir: string
  readonly recheck: boolean
  readonly priorities: readonly number[] | undefined
}

/**
 * A paused torrent's file check (no session, no swarm), as libtorrent checks a torrent added
 * paused: its resume data, else its files, read back. `checking` and `files_missing` go out as
 * the torrent's events; `checked` hears the outcome; what was read back from the files is then
 * recorded as resume data, or the next start reads them all again; `done` runs last.
 */
export function checkPausedTorrent(
  host: TorrentHost,
  infoHash: TorrentId,
  m: Metainfo,
  settings: PausedCheckSettings,
  checked: (outcome: Result<StoredData, OperationalError>) => void,
  done: () => void,
): void {
  const options: StoredDataOptions = {
    disk: host.env.disk,
    metainfo: m,
    saveDir: settings.saveDir,
    pieceHashing: host.pieceHashing,
    hashing: host.env.hashing,
    defer: host.defer,
    resumeStore: { disk: host.stateDisk, dir: '' },
    ...(settings.recheck ? { recheck: true } : {}),
    ...(settings.priorities === undefined ? {} : { filePriorities: settings.priorities }),
    onChecking: (reason) =>
      host.emit({ type: 'torrent_event', infoHash, event: { type: 'checking', reason } }),
  }
  checkStoredData(options, (outcome) => {
    if (!outcome.ok) {
      checked(outcome)
      return done()
    }
    const { verified, problems } = outcome.value
    if (problems.length > 0) {
      host.emit({
        type: 'torrent_event',
        infoHash,
        event: { type: 'files_missing', files: problems },
      })
    }
    checked(outcome)
    if (outcome.value.source === 'resume') return done()
    recordStoredData(options, verified, (recorded) => {
      if (!recorded.ok) {
        host.env.log.log('warn', 'resume data after a paused check not written', {
          infoHash: m.infoHashHex,
          error: recorded.error.message,
        })
      }
      done()
    })
  })
}
