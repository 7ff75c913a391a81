/**
 * Routing-table persistence: our id and the nodes of our table as one bencoded dictionary,
 * `{ id, nodes, nodes6, plexus }` in compact node info, so a restart rejoins without bootstrap
 * nodes. `plexus` = `STATE_FORMAT` marks the file as ours; files written before the marker
 * are recognised by holding exactly our keys. Anything else is not a state file, and callers
 * refuse to overwrite it (a `--state` pointing at a .torrent once replaced it).
 */
import { decode, dictGetBytes, dictOf, encode, isBDict } from '../../core/codec/bencode.js'
import { ipFamilyOf } from '../../core/compact-peers.js'
import { idFromBytes, type Id160 } from '../../core/id.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeCompactNodes, encodeCompactNodes } from './compact-nodes.js'
import type { NodeInfo } from './messages.js'

/** The marker written into every state file. */
export const STATE_FORMAT = 'dht-state 1'
const STATE_KEYS = new Set(['id', 'nodes', 'nodes6', 'plexus'])

export interface PersistedState {
  readonly id: Id160
  readonly nodes: readonly NodeInfo[]
}

export function exportState(state: PersistedState): Uint8Array {
  const v4 = state.nodes.filter((n) => ipFamilyOf(n.address.host) === 'ipv4')
  const v6 = state.nodes.filter((n) => ipFamilyOf(n.address.host) === 'ipv6')
  return encode(
    dictOf({
      id: state.id,
      nodes: encodeCompactNodes(v4, 'ipv4'),
      nodes6: encodeCompactNodes(v6, 'ipv6'),
      plexus: STATE_FORMAT,
    }),
  )
}

export function importState(bytes: Uint8Array): Result<PersistedState, string> {
  const decoded = decode(bytes, { bytesMax: 1 << 20 })
  if (!decoded.ok) return err(`not bencode: ${decoded.error.code}`)
  const dict = decoded.value
  if (!isBDict(dict)) return err('not a dictionary')
  const marker = dictGetBytes(dict, 'plexus')
  if (marker !== undefined && new TextDecoder().decode(marker) !== STATE_FORMAT) {
    return err('another format or version')
  }
  const foreign = [...dict.keys()].find((key) => !STATE_KEYS.has(key))
  if (foreign !== undefined) return err(`unknown key '${foreign}'`)
  const rawId = dictGetBytes(dict, 'id')
  const id = rawId === undefined ? undefined : idFromBytes(rawId)
  if (id === undefined) return err('missing or bad id')
  const v4 = decodeCompactNodes(dictGetBytes(dict, 'nodes') ?? new Uint8Array(0), 'ipv4')
  const v6 = decodeCompactNodes(dictGetBytes(dict, 'nodes6') ?? new Uint8Array(0), 'ipv6')
  if (v4 === undefined || v6 === undefined) return err('bad compact node list')
  return ok({ id, nodes: [...v4, ...v6] })
}
