import { toHex } from '../core/bytes.js'
import { swarmHashes, type Metainfo } from '../protocols/bittorrent/metainfo/index.js'

/**
 * A hybrid torrent (BEP 52) is one swarm under two names: its v1 info-hash, the key the peer
 * files it under, and its v2 info-hash truncated to 20 bytes, which a v2-only client puts in
 * its handshake (and hashes into MSE's SKEY). The Peer's one listener must route both.
 */
interface HasMetainfo {
  readonly metainfo: Metainfo | undefined
}

/** The torrent a handshake's info-hash names: by its key, else a hybrid's truncated v2 hash. */
export function torrentBySwarmHash<T extends HasMetainfo>(
  torrents: ReadonlyMap<string, T>,
  infoHash: string,
): T | undefined {
  const direct = torrents.get(infoHash)
  if (direct !== undefined) return direct
  // Only connections naming a v2 hash get here: a scan of the torrents is cheap beside them.
  for (const torrent of torrents.values()) {
    const m = torrent.metainfo
    if (m?.hybrid === true && swarmHashes(m).some((hash) => toHex(hash) === infoHash)) {
      return torrent
    }
  }
  return undefined
}

/** Every swarm hash the peer answers to (MSE tries each against HASH('req2', SKEY)). */
export function* allSwarmHashes<T extends HasMetainfo>(
  torrents: ReadonlyMap<string, T>,
): Generator<string> {
  for (const [key, torrent] of torrents) {
    yield key
    const m = torrent.metainfo
    if (m?.hybrid !== true) continue
    for (const hash of swarmHashes(m)) {
      const hex = toHex(hash)
      if (hex !== key) yield hex
    }
  }
}
