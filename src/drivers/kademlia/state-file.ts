/**
 * Reading a DHT state file without ever mistaking someone else's file for ours: the file is
 * missing (start afresh), empty (start afresh: nothing in it to lose), ours, or foreign. A
 * foreign file (not bencode, other keys, too large, unreadable) must be left alone, never
 * overwritten by the periodic save.
 */
import type { Disk, DiskFile, FileStat } from '../../core/env.js'
import { importState, type PersistedState } from '../../protocols/kademlia/index.js'

/** Larger than any table we write (a full table is a few KiB). */
const STATE_BYTES_MAX = 1 << 20

export type StateFile =
  | { readonly kind: 'missing' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'state'; readonly state: PersistedState }
  | { readonly kind: 'foreign'; readonly reason: string }

/** Reads the file; callback-shaped so that a simulated host (one synchronous timeline) can. */
export function readStateFileThen(disk: Disk, path: string, done: (file: StateFile) => void): void {
  const unreadable = (message: string): void =>
    done({ kind: 'foreign', reason: `cannot read it: ${message}` })
  disk.stat(path, (stat) => {
    if (!stat.ok) return unreadable(stat.error.message)
    const found: FileStat | undefined = stat.value
    if (found === undefined) return done({ kind: 'missing' })
    if (found.kind !== 'file') return done({ kind: 'foreign', reason: 'it is a directory' })
    if (found.size === 0) return done({ kind: 'empty' })
    if (found.size > STATE_BYTES_MAX) return done({ kind: 'foreign', reason: 'too large' })
    disk.open(path, 'read', (opened) => {
      if (!opened.ok) return unreadable(opened.error.message)
      const file: DiskFile = opened.value
      file.read(0, found.size, (read) => {
        file.close(() => undefined)
        if (!read.ok) return unreadable(read.error.message)
        const state = importState(read.value)
        done(
          state.ok
            ? { kind: 'state', state: state.value }
            : { kind: 'foreign', reason: state.error },
        )
      })
    })
  })
}

export function readStateFile(disk: Disk, path: string): Promise<StateFile> {
  return new Promise((resolve) => readStateFileThen(disk, path, resolve))
}

/** The one-line refusal for a foreign file. */
export function foreignStateMessage(path: string, reason: string): string {
  return `${path} is not a plexus DHT state file (${reason}); refusing to use or overwrite it`
}
