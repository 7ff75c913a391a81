/**
 * Multi-source downloads a servent runs in the background (the daemon's API starts them and
 * polls them): each one's file, sources, bytes so far and outcome. Bounded: finished records
 * beyond `keepMax` are forgotten, oldest first; one URN is downloaded at most once at a time.
 */
import { addressKey } from '../../core/address.js'
import type { PushConnection } from './push-transfer.js'
import { n2rPath } from '../../protocols/gnutella/transfer/target.js'
import { downloadMultiSource, type MultiSourceResult } from './multi-source-download.js'
import type { FileHit } from './search-book.js'

export type DownloadState = 'downloading' | 'completed' | 'failed'

export interface DownloadRecord {
  readonly id: string
  readonly name: string
  readonly length: number
  readonly urn: string
  readonly sources: readonly string[]
  state: DownloadState
  downloadedBytes: number
  /** Once completed: where the verified file is. */
  path?: string
  droppedSources?: readonly string[]
  error?: string
}

export class DownloadRefused extends Error {
  override readonly name = 'DownloadRefused'
  constructor(
    readonly code: 'no_urn' | 'no_sources' | 'exists',
    message: string,
  ) {
    super(message)
  }
}

export interface DownloadBookOptions {
  readonly keepMax?: number
  readonly log?: (line: string) => void
  /** The downloader (tests inject one); default `downloadMultiSource`. */
  readonly download?: typeof downloadMultiSource
}

export class DownloadBook {
  private readonly records = new Map<string, DownloadRecord>()
  private nextId = 1
  private readonly keepMax: number

  constructor(private readonly options: DownloadBookOptions = {}) {
    this.keepMax = options.keepMax ?? 100
  }

  list(): readonly DownloadRecord[] {
    return [...this.records.values()]
  }

  get(id: string): DownloadRecord | undefined {
    return this.records.get(id)
  }

  get active(): number {
    return this.list().filter((r) => r.state === 'downloading').length
  }

  /**
   * Starts taking `file` from all its sources into `outDir` (by URN: HUGE's N2R names the
   * content, so every source serves the same bytes). `finished` resolves with the record once
   * it completed or failed; it never rejects.
   */
  start(
    file: FileHit,
    outDir: string,
    /**
     * Reaches a firewalled source for one range: a Push, then its GIV connection. Without it
     * firewalled sources are not used.
     */
    openPush?: (source: FileHit['firewalled'][number]) => Promise<PushConnection>,
  ): { record: DownloadRecord; finished: Promise<MultiSourceResult | undefined> } {
    const urn = file.urn
    if (urn === undefined)
      throw new DownloadRefused('no_urn', `${file.name} has no urn:sha1: it could not be verified`)
    const pushable = openPush === undefined ? [] : file.firewalled
    if (file.sources.length === 0 && pushable.length === 0)
      throw new DownloadRefused('no_sources', `${file.name} has no reachable source`)
    const busy = this.list().find((r) => r.urn === urn && r.state === 'downloading')
    if (busy !== undefined)
      throw new DownloadRefused('exists', `${urn} is already being downloaded (${busy.id})`)
    const record: DownloadRecord = {
      id: String(this.nextId++),
      name: file.name,
      length: file.length,
      urn,
      sources: [...file.sources, ...pushable.map((f) => f.address)].map(addressKey),
      state: 'downloading',
      downloadedBytes: 0,
    }
    this.records.set(record.id, record)
    this.forgetOld()
    const download = this.options.download ?? downloadMultiSource
    const path = n2rPath(urn)
    const pushed = pushable.map((f) => ({
      ...f.address,
      path,
      open: () => (openPush as NonNullable<typeof openPush>)(f),
    }))
    const started = download({
      sources: [...file.sources.map((s) => ({ ...s, path })), ...pushed],
      length: file.length,
      urn,
      outDir,
      fileName: file.name,
      onProgress: (_source, bytes) => {
        record.downloadedBytes += bytes
      },
      ...(this.options.log === undefined ? {} : { log: this.options.log }),
    })
    const finished = started.then(
      (result) => {
        record.state = 'completed'
        record.downloadedBytes = result.length
        record.path = result.path
        record.droppedSources = result.droppedSources
        return result
      },
      (error: Error) => {
        record.state = 'failed'
        record.error = error.message
        this.options.log?.(`download ${record.id} ${record.name} failed: ${error.message}`)
        return undefined
      },
    )
    return { record, finished }
  }

  private forgetOld(): void {
    for (const [id, record] of this.records) {
      if (this.records.size <= this.keepMax) return
      if (record.state !== 'downloading') this.records.delete(id)
    }
  }
}
