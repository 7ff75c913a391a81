/**
 * Reading a DHT state file without ever mistaking someone else's file for ours: the file is
 * missing (start afresh), empty (start afresh: nothing in it to lose), ours, or foreign. A
 * foreign file (not bencode, other keys, too large, unreadable) must be left alone, never
 * overwritten by the periodic save.
 */
import type { Disk, DiskFile, FileStat } from '../../core/env.js'
import { importState, type PersistedState } from '../../protocols/kademlia/index.js'
import { promised } from '../promises.js'

/** Larger than any table we write (a full table is a few KiB). */
const STATE_BYTES_MAX = 1 << 20

export type StateFile =
  | { readonly kind: 'missing' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'state'; readonly state: PersistedState }
  | { readonly kind: 'foreign'; readonly reason: string }

export async function readStateFile(disk: Disk, path: string): Promise<StateFile> {
  let stat: FileStat | undefined
  try {
    stat = await promised<FileStat | undefined>((done) => disk.stat(path, done))
  } catch (error) {
    return { kind: 'foreign', reason: `cannot read it: ${(error as Error).message}` }
  }
  if (stat === undefined) return { kind: 'missing' }
  if (stat.kind !== 'file') return { kind: 'foreign', reason: 'it is a directory' }
  if (stat.size === 0) return { kind: 'empty' }
  if (stat.size > STATE_BYTES_MAX) return { kind: 'foreign', reason: 'too large' }
  let bytes: Uint8Array
  try {
    const file = await promised<DiskFile>((done) => disk.open(path, 'read', done))
    try {
      bytes = await promised<Uint8Array>((done) => file.read(0, stat.size, done))
    } finally {
      file.close(() => undefined)
    }
  } catch (error) {
    return { kind: 'foreign', reason: `cannot read it: ${(error as Error).message}` }
  }
  const state = importState(bytes)
  return state.ok ? { kind: 'state', state: state.value } : { kind: 'foreign', reason: state.error }
}

/** The one-line refusal for a foreign file. */
export function foreignStateMessage(path: string, reason: string): string {
  return `${path} is not a plexus DHT state file (${reason}); refusing to use or overwrite it`
}
