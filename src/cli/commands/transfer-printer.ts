import { addressKey } from '../../core/address.js'
import type { SessionEvent } from '../../drivers/bittorrent/session.js'
import type { WebSeedStatus } from '../../drivers/bittorrent/webseed.js'
import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import type { SwarmStats } from '../../protocols/bittorrent/swarm/index.js'
import { CliError, printJson, printLine, printWarning } from '../output.js'
import { ProgressDisplay } from '../progress-display.js'
import { progressOf } from '../progress.js'
import type { TransferEnding } from '../transfer-ending.js'

/** What `seed` / `get` print for their torrent's session events. */
export class TransferPrinter {
  private display: ProgressDisplay | undefined
  private metainfo: Metainfo | undefined
  private lastStats: SwarmStats | undefined
  /** The latest web seed counters (`web_seeds` events), printed with the final line. */
  private webSeeds: readonly WebSeedStatus[] = []

  constructor(
    private readonly kind: 'seed' | 'get',
    private readonly json: boolean,
    /** The folder `seed --data` named, for the message about missing files. */
    private readonly dataFolder: string,
    private readonly ending: TransferEnding,
  ) {}

  known(m: Metainfo): void {
    this.metainfo = m
    this.display = new ProgressDisplay({
      json: this.json,
      terminal: process.stderr.isTTY ? process.stderr : undefined,
      totalBytes: m.totalLength,
      pieceLength: m.pieceLength,
    })
  }

  print(event: SessionEvent): void {
    const { json, kind, ending } = this
    const m = this.metainfo
    if (m === undefined) return
    if (event.type === 'stats') this.lastStats = event
    if (event.type === 'download_completed') ending.complete()
    if (json) printJson(jsonEvent(event, m))
    if (json) {
      if (event.type === 'fatal') ending.fail(new CliError(event.message, event.code))
      return
    }
    if (event.type === 'stats') this.display?.show(event)
    else if (event.type === 'ready') {
      printLine(
        `${kind === 'seed' ? 'seeding' : 'downloading'} ${m.name} ` +
          `(${m.infoHashHex}) on ${addressKey(event.listen)}; ` +
          `${event.verifiedPieces}/${m.pieceCount} pieces verified`,
      )
    } else if (event.type === 'checking') printLine(`checking existing data (${event.reason})`)
    else if (event.type === 'peer_banned')
      printLine(`banned ${addressKey(event.address)}: ${event.reason}`)
    else if (event.type === 'tracker') printLine(`tracker ${event.url}: ${event.message}`)
    else if (event.type === 'web_seeds') this.webSeeds = event.webSeeds
    else if (event.type === 'web_seed_failed' || event.type === 'web_seed_banned') {
      const what = event.type === 'web_seed_banned' ? 'banned' : 'dropped'
      printLine(`web seed ${event.url} ${what}: ${event.reason}`)
    } else if (event.type === 'storage_error') printLine(`storage error: ${event.message}`)
    else if (event.type === 'piece_changed') {
      printWarning(`piece ${event.piece} changed on disk: withdrawn, no longer served`)
    } else if (event.type === 'files_missing' && kind === 'seed') {
      printWarning(describeMissing(event.files, this.dataFolder), 'files_missing')
    }
    // Disk full, no permission, a link in the way: ends the command (its resume data keeps
    // what was verified). Under --json the event was printed above; the error follows.
    if (event.type === 'fatal') {
      const hint = event.code === 'no_space' ? '; free some space and run again' : ''
      ending.fail(new CliError(`${event.message}${hint}`, event.code))
    }
  }

  /** The final counters: the torrent's totals over the last progress event's other fields. */
  finalStats(
    status: { downloadedBytes: number; uploadedBytes: number; piecesVerified: number } | undefined,
  ): SwarmStats {
    const last = this.lastStats
    return {
      downloadRate: last?.downloadRate ?? 0,
      uploadRate: last?.uploadRate ?? 0,
      peers: last?.peers ?? 0,
      halfOpen: last?.halfOpen ?? 0,
      candidates: last?.candidates ?? 0,
      pieceCount: this.metainfo?.pieceCount ?? 0,
      downloadedBytes: status?.downloadedBytes ?? last?.downloadedBytes ?? 0,
      uploadedBytes: status?.uploadedBytes ?? last?.uploadedBytes ?? 0,
      piecesVerified: status?.piecesVerified ?? last?.piecesVerified ?? 0,
    }
  }

  finish(stats: SwarmStats): void {
    this.display?.finish(stats)
    if (this.json) return
    for (const seed of this.webSeeds) {
      printLine(`web seed ${seed.url}: ${seed.downloadedBytes} bytes (${seed.phase})`)
    }
  }
}

/** The files `seed --data` could not find, so a wrong folder is named instead of 0 %. */
function describeMissing(
  files: readonly { readonly path: string; readonly reason: 'missing' | 'size' }[],
  data: string,
): string {
  const shown = files
    .slice(0, 5)
    .map((f) => `${f.path} (${f.reason === 'size' ? 'wrong size' : 'missing'})`)
  const more = files.length > shown.length ? ` and ${files.length - shown.length} more` : ''
  return `${files.length} file(s) of the torrent are not in ${data}: ${shown.join(', ')}${more}`
}

function jsonEvent(event: SessionEvent, m: Metainfo): Record<string, unknown> {
  switch (event.type) {
    case 'stats':
      return { type: 'progress', ...progressOf(event, m.totalLength, m.pieceLength) }
    case 'ready':
      return {
        type: 'ready',
        verifiedPieces: event.verifiedPieces,
        listen: addressKey(event.listen),
      }
    case 'peer_connected':
    case 'peer_disconnected':
    case 'peer_banned':
      return { ...event, address: addressKey(event.address) }
    case 'piece_failed':
      return { ...event, blamed: event.blamed.map(addressKey) }
    case 'holepunch':
      return { ...event, address: addressKey(event.address), via: addressKey(event.via) }
    default:
      return { ...event }
  }
}
