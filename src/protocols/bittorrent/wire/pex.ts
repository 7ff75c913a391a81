/**
 * ut_pex (BEP 11): a bencoded dictionary of compact peer lists. `added` / `dropped` hold IPv4
 * peers (6 bytes each), `added6` / `dropped6` IPv6 peers (18 bytes each), and `added.f` /
 * `added6.f` one flags byte per added peer. Missing lists are empty and missing flags are 0
 * (older clients omit them); a list whose length is not a whole number of peers, or flags that
 * do not match their list, are errors.
 */
import type { Address } from '../../../core/address.js'
import { dictGetBytes, dictOf, encode, type BDict } from '../../../core/codec/bencode.js'
import { LocalProtocolError } from '../../../core/errors.js'
import { err, ok, type Result } from '../../../core/result.js'
import {
  decodeCompactPeers,
  encodeCompactPeers,
  ipFamilyOf,
  type IpFamily,
} from '../../../core/compact-peers.js'
import { wireError, type WireError } from './errors.js'
import type { PexMessage, PexPeer } from './extension-messages.js'
import { decodePayloadDict } from './payload-dict.js'

const KEYS = {
  ipv4: { added: 'added', flags: 'added.f', dropped: 'dropped' },
  ipv6: { added: 'added6', flags: 'added6.f', dropped: 'dropped6' },
} as const

export function encodePex(message: PexMessage): Uint8Array {
  const fields: Record<string, Uint8Array> = {}
  for (const family of ['ipv4', 'ipv6'] as const) {
    const keys = KEYS[family]
    const added = message.added.filter((peer) => familyOf(peer) === family)
    fields[keys.added] = encodeCompactPeers(added, family)
    fields[keys.flags] = Uint8Array.from(added, (peer) => peer.flags)
    const dropped = message.dropped.filter((peer) => familyOf(peer) === family)
    fields[keys.dropped] = encodeCompactPeers(dropped, family)
  }
  return encode(dictOf(fields))
}

function familyOf(peer: Address): IpFamily {
  const family = ipFamilyOf(peer.host)
  if (family === undefined) throw new LocalProtocolError(`pex peer ${peer.host} is not an IP`)
  return family
}

export function decodePex(payload: Uint8Array): Result<PexMessage, WireError> {
  const decoded = decodePayloadDict(payload, 'ut_pex', false)
  if (!decoded.ok) return decoded
  const dict = decoded.value.dict
  const added: PexPeer[] = []
  const dropped: Address[] = []
  for (const family of ['ipv4', 'ipv6'] as const) {
    const keys = KEYS[family]
    const addedPeers = peersAt(dict, keys.added, family)
    if (!addedPeers.ok) return addedPeers
    const flags = dictGetBytes(dict, keys.flags)
    if (flags !== undefined && flags.length !== addedPeers.value.length) {
      const detail = `${keys.flags} has ${flags.length} bytes for ${addedPeers.value.length} peers`
      return err(wireError('bad_pex_flags', detail))
    }
    addedPeers.value.forEach((peer, i) => added.push({ ...peer, flags: flags?.[i] ?? 0 }))
    const droppedPeers = peersAt(dict, keys.dropped, family)
    if (!droppedPeers.ok) return droppedPeers
    dropped.push(...droppedPeers.value)
  }
  return ok({ added, dropped })
}

function peersAt(dict: BDict, key: string, family: IpFamily): Result<Address[], WireError> {
  const bytes = dictGetBytes(dict, key)
  if (bytes === undefined) return ok([])
  const peers = decodeCompactPeers(bytes, family)
  return peers.ok ? peers : err(wireError(peers.error.code, `${key}: ${peers.error.detail}`))
}
