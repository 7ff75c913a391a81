import { OperationalError } from '../core/errors.js'
import type { Hashing } from '../core/env.js'
import { err, ok, type Result } from '../core/result.js'
import {
  parseMagnet,
  parseMetainfo,
  type Magnet,
  type Metainfo,
} from '../protocols/bittorrent/metainfo/index.js'
import type { AddTorrentOptions, TorrentId } from './types.js'

/** What `Peer.add` learns from its source before anything starts. */
export interface ParsedTorrentSource {
  readonly infoHash: TorrentId
  readonly metainfo: Metainfo | undefined
  readonly magnet: Magnet | undefined
}

/**
 * A .torrent's bytes or a magnet link, parsed: the info-hash names the torrent either way.
 * Bad input is an `invalid` error that says which of the two it was meant to be.
 */
export function parseTorrentSource(
  source: AddTorrentOptions['source'],
  hashing: Hashing,
): Result<ParsedTorrentSource, OperationalError> {
  if (source.kind === 'metainfo') {
    const parsed = parseMetainfo(source.bytes, hashing)
    if (!parsed.ok) {
      return err(new OperationalError('invalid', `not a torrent: ${parsed.error.message}`))
    }
    const m = parsed.value
    return ok({ infoHash: m.infoHashHex, metainfo: m, magnet: undefined })
  }
  const magnet = parseMagnet(source.uri)
  if (!magnet.ok) {
    return err(new OperationalError('invalid', `bad magnet link: ${magnet.error.message}`))
  }
  return ok({ infoHash: magnet.value.infoHashHex, metainfo: undefined, magnet: magnet.value })
}
