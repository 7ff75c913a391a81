/**
 * The searches a servent started and what came back: QueryHits grouped by file (its SHA-1 URN,
 * else name and size), each with every servent that offers it. Bounded: the oldest search is
 * forgotten past `searchesMax`, and a search keeps at most `filesMax` files, so a flood of hits
 * cannot eat the memory.
 */
import { addressKey, type Address } from '../../core/address.js'
import { isFirewalled, type GnutellaEvent } from '../../protocols/gnutella/index.js'
import { hitPushProxies } from '../../protocols/gnutella/push-proxy-ggep.js'
import { zlibCompression } from './zlib-compression.js'

/** One file, as hits describe it, with every servent that has it. */
export interface FileHit {
  readonly name: string
  readonly length: number
  readonly urn: string | undefined
  /** The fastest source's advertised speed, kb/s. */
  speed: number
  readonly sources: Address[]
  /**
   * Sources whose QueryHit said they are firewalled: reached by a Push (servent id, index),
   * through their push proxies (the hit's GGEP "PUSH") first.
   */
  readonly firewalled: {
    address: Address
    serventId: Uint8Array
    fileIndex: number
    proxies: Address[]
  }[]
}

export interface SearchRecord {
  readonly id: string
  readonly words: string
  /** Milliseconds since the Unix epoch, for the API. */
  readonly startedAt: number
  readonly files: FileHit[]
}

export interface SearchBookLimits {
  readonly searchesMax: number
  readonly filesMax: number
}

const DEFAULT_LIMITS: SearchBookLimits = { searchesMax: 64, filesMax: 1000 }

export class SearchBook {
  private readonly searches = new Map<string, SearchRecord>()
  private readonly byKey = new Map<string, Map<string, FileHit>>()

  constructor(private readonly limits: SearchBookLimits = DEFAULT_LIMITS) {}

  started(id: string, words: string, startedAt: number): SearchRecord {
    const record: SearchRecord = { id, words, startedAt, files: [] }
    this.searches.set(id, record)
    this.byKey.set(id, new Map())
    while (this.searches.size > this.limits.searchesMax) {
      const oldest = this.searches.keys().next().value as string
      this.searches.delete(oldest)
      this.byKey.delete(oldest)
    }
    return record
  }

  /** Every search kept, oldest first. */
  list(): SearchRecord[] {
    return [...this.searches.values()]
  }

  get(id: string): SearchRecord | undefined {
    return this.searches.get(id)
  }

  get size(): number {
    return this.searches.size
  }

  /** Files a `query_hit` event adds to its search (ignored when the search is unknown). */
  record(event: GnutellaEvent): void {
    if (event.type !== 'query_hit') return
    const record = this.searches.get(event.queryId)
    const keys = this.byKey.get(event.queryId)
    if (record === undefined || keys === undefined) return
    const address = { host: event.hit.ip, port: event.hit.port }
    for (const result of event.hit.results) {
      const urn = result.urns.find((u) => u.toLowerCase().startsWith('urn:sha1:'))
      const key = urn ?? `${result.fileName}\0${result.fileSize}`
      let file = keys.get(key)
      if (file === undefined) {
        if (record.files.length >= this.limits.filesMax) continue
        file = {
          name: result.fileName,
          length: result.fileSize,
          urn,
          speed: 0,
          sources: [],
          firewalled: [],
        }
        keys.set(key, file)
        record.files.push(file)
      }
      file.speed = Math.max(file.speed, event.hit.speed)
      if (isFirewalled(event.hit.trailer)) {
        if (!file.firewalled.some((s) => addressKey(s.address) === addressKey(address)))
          file.firewalled.push({
            address,
            serventId: event.hit.serventId,
            fileIndex: result.fileIndex,
            proxies: hitPushProxies(event.hit.trailer, zlibCompression),
          })
      } else if (!file.sources.some((s) => addressKey(s) === addressKey(address)))
        file.sources.push(address)
    }
  }
}
