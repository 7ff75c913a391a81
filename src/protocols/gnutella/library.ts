/**
 * The files a servent shares, as the core sees them: a keyword index answering queries and
 * the QRP table built from the same keywords. Sharing real files from a directory (hashing,
 * HTTP) is driver work for later; the simulator fills it with synthetic names.
 */
import { fileKeywords, words } from './qrp/keywords.js'
import { QueryRoutingTable } from './qrp/table.js'
import type { QueryHitResult } from './messages.js'

export interface SharedFile {
  readonly fileIndex: number
  readonly fileName: string
  readonly fileSize: number
  readonly urns: readonly string[]
}

/** A query's answer is capped: a QueryHit counts results in one byte. */
export const RESULTS_PER_HIT_MAX = 255

export class SharedLibrary {
  private readonly files: SharedFile[] = []
  private readonly byKeyword = new Map<string, Set<number>>()

  add(file: SharedFile): void {
    const position = this.files.length
    this.files.push(file)
    for (const keyword of fileKeywords(file.fileName, file.urns)) {
      let set = this.byKeyword.get(keyword)
      if (set === undefined) this.byKeyword.set(keyword, (set = new Set()))
      set.add(position)
    }
  }

  get size(): number {
    return this.files.length
  }

  get kilobytes(): number {
    return Math.floor(this.files.reduce((s, f) => s + f.fileSize, 0) / 1024)
  }

  /** Files whose keywords include every query word, or whose URN is asked for. */
  search(criteria: string, urns: readonly string[]): QueryHitResult[] {
    const matches = new Set<number>()
    for (const urn of urns)
      for (const i of this.byKeyword.get(urn.toLowerCase()) ?? []) matches.add(i)
    const queryWords = words(criteria)
    if (queryWords.length > 0 && matches.size === 0) {
      const sets = queryWords.map((w) => this.byKeyword.get(w) ?? new Set<number>())
      sets.sort((a, b) => a.size - b.size)
      for (const i of sets[0] ?? []) if (sets.every((s) => s.has(i))) matches.add(i)
    }
    return [...matches].slice(0, RESULTS_PER_HIT_MAX).map((i) => {
      const f = this.files[i] as SharedFile
      return {
        fileIndex: f.fileIndex,
        fileSize: f.fileSize,
        fileName: f.fileName,
        urns: f.urns,
        ggep: [],
      }
    })
  }

  table(length: number): QueryRoutingTable {
    const table = new QueryRoutingTable(length)
    for (const f of this.files) table.addFile(f.fileName, f.urns)
    return table
  }
}
