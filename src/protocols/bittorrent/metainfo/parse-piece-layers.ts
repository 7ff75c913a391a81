/**
 * BEP 52 `piece layers`, a key of the .torrent beside `info` (so not covered by the
 * info-hash): for every file longer than one piece, its piece hashes back to back, keyed by
 * its pieces root. Each layer is checked against the root it claims, so a layer that reaches
 * storage is as trustworthy as the info-hash. A file without a layer is not an error: its
 * layer can still come from peers (hash requests), as it must for metadata from a magnet.
 */
import { type BValue, isBDict, keyFromBytes } from '../../../core/codec/bencode.js'
import { equalBytes, toHex } from '../../../core/bytes.js'
import type { Hashing } from '../../../core/env.js'
import { err, ok, type Result } from '../../../core/result.js'
import { MERKLE_HASH_BYTES, rootOfPieceLayer } from '../merkle/index.js'
import { type MetainfoError, metainfoError } from './errors.js'
import type { Metainfo } from './types.js'

/** The checked layers of `m`'s files found in `raw`, keyed by the hex of the pieces root. */
export function parsePieceLayers(
  raw: BValue | undefined,
  m: Metainfo,
  hashing: Hashing,
): Result<Map<string, Uint8Array>, MetainfoError> {
  const layers = new Map<string, Uint8Array>()
  if (m.version === 'v1' || raw === undefined) return ok(layers)
  if (!isBDict(raw)) return err(metainfoError('wrong_type', "'piece layers' is not a dictionary"))
  for (const file of m.files) {
    const root = file.piecesRoot
    if (root === undefined || file.length <= m.pieceLength) continue
    const layer = raw.get(keyFromBytes(root))
    if (layer === undefined) continue
    const where = `piece layer of '${file.path.join('/')}'`
    const pieces = Math.ceil(file.length / m.pieceLength)
    if (!(layer instanceof Uint8Array) || layer.length !== pieces * MERKLE_HASH_BYTES) {
      return err(metainfoError('bad_piece_layers', `${where} is not ${pieces} hashes`))
    }
    if (!equalBytes(rootOfPieceLayer(layer, m.pieceLength, hashing), root)) {
      return err(metainfoError('bad_piece_layers', `${where} does not hash to its pieces root`))
    }
    layers.set(toHex(root), layer)
  }
  return ok(layers)
}
