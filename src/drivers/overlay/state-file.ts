/**
 * An overlay node's state file: its id and the nodes it knew, as one JSON object, written
 * atomically. A restart with the file keeps the node's id (its place on the ring or in the id
 * space) and rejoins through the saved nodes when no bootstrap is given. A file that is not
 * ours, or is another overlay's, is refused before anything is bound.
 */
import { readFile } from 'node:fs/promises'
import { addressKey, parseAddress, type Address } from '../../core/address.js'
import { utf8 } from '../../core/bytes.js'
import { writeFileAtomic } from '../disk-atomic.js'
import { NodeDisk } from '../node/disk.js'
import { promised } from '../promises.js'
import type { MemberState, OverlayName } from './member.js'

const FORMAT = 'plexus-overlay-state'
/** Saved nodes beyond this many are left out: a rejoin needs only a few. */
const SAVED_NODES_MAX = 64

export type StateFileRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'state'; readonly state: MemberState }
  | { readonly kind: 'foreign'; readonly reason: string }

export async function readOverlayState(path: string, overlay: OverlayName): Promise<StateFileRead> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' }
    return { kind: 'foreign', reason: (error as Error).message }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    return { kind: 'foreign', reason: 'not JSON' }
  }
  if (typeof parsed !== 'object' || parsed === null)
    return { kind: 'foreign', reason: 'not an object' }
  const record = parsed as Record<string, unknown>
  if (record['format'] !== FORMAT) return { kind: 'foreign', reason: 'not an overlay state file' }
  if (record['overlay'] !== overlay) {
    return {
      kind: 'foreign',
      reason: `a ${String(record['overlay'])} node's state, not ${overlay}`,
    }
  }
  const id = record['id']
  const nodes = record['nodes']
  if (typeof id !== 'string' || !/^[0-9a-f]{1,128}$/.test(id) || !Array.isArray(nodes)) {
    return { kind: 'foreign', reason: 'bad id or node list' }
  }
  const addresses: Address[] = []
  for (const n of nodes.slice(0, SAVED_NODES_MAX)) {
    const a = typeof n === 'string' ? parseAddress(n) : undefined
    if (a !== undefined) addresses.push(a)
  }
  return { kind: 'state', state: { id, nodes: addresses } }
}

export function writeOverlayState(
  path: string,
  overlay: OverlayName,
  state: MemberState,
): Promise<void> {
  const body = {
    format: FORMAT,
    overlay,
    id: state.id,
    nodes: state.nodes.slice(0, SAVED_NODES_MAX).map(addressKey),
  }
  const bytes = utf8(`${JSON.stringify(body, undefined, 2)}\n`)
  return promised<void>((done) => writeFileAtomic(new NodeDisk(), path, bytes, done))
}
