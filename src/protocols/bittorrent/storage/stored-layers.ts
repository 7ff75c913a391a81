/**
 * Piece layers fetched from peers (BEP 52 hash requests, for a v2 torrent opened from a
 * magnet), kept beside the resume data so that a restart can verify pieces without fetching
 * them again (libtorrent keeps them in its resume data for the same reason). The file is
 * `<dir>/resume/<swarm-hash-hex>.layers`, one canonical bencoded dictionary:
 *
 *   format        'plexus piece layers'
 *   info hash     the torrent's 20-byte swarm hash (`Metainfo.infoHash`)
 *   piece layers  the .torrent's `piece layers` form: pieces root (32 bytes) -> the layer
 *
 * It is never trusted over the info dictionary: on load, each layer must be its file's piece
 * count of hashes that hash up to the file's `pieces root`, as a .torrent's layers are at
 * parse time. A layer that fails (a corrupt or tampered file, a root no file has) is dropped
 * and named in `discarded`, and the swarm fetches it again; the good ones are kept. A file
 * that does not decode, or names another torrent, gives no layers at all.
 */
import {
  decode,
  dictGetBytes,
  dictGetDict,
  dictGetString,
  dictOf,
  encode,
  isBDict,
  keyFromBytes,
} from '../../../core/codec/bencode.js'
import { equalBytes, toHex } from '../../../core/bytes.js'
import { MERKLE_HASH_BYTES, rootOfPieceLayer, type Sha256Hashing } from '../merkle/index.js'
import type { Metainfo } from '../metainfo/index.js'
import type { Callback } from '../../../core/env.js'
import { joinPath } from './file-paths.js'
import type { AtomicWrite } from './resume-writer.js'
import { readSmallFile, RESUME_DIR, type ResumeStore } from './resume.js'

export const STORED_LAYERS_FORMAT = 'plexus piece layers'

/** Where `m`'s fetched piece layers are kept under the state folder `stateDir`. */
export function storedLayersPath(stateDir: string, m: Metainfo): string {
  return joinPath(stateDir, [RESUME_DIR, `${m.infoHashHex}.layers`])
}

/**
 * A v2 or hybrid torrent missing the piece layer of a file longer than one piece: opened from
 * a magnet, its layers come from peers (or from an earlier run's stored layers). A hybrid
 * downloads meanwhile, its pieces checked by their SHA-1s alone until the layers are in.
 */
export function lacksPieceLayers(m: Metainfo): boolean {
  if (m.version === 'v1') return false
  return layeredFiles(m).some((file) => !m.pieceLayers.has(toHex(file.root)))
}

/** The files of `m` that have a piece layer (longer than one piece), with their piece count. */
function layeredFiles(m: Metainfo): { root: Uint8Array; pieces: number; path: string }[] {
  if (m.version === 'v1') return []
  return m.files.flatMap((file) =>
    file.pad || file.piecesRoot === undefined || file.length <= m.pieceLength
      ? []
      : [
          {
            root: file.piecesRoot,
            pieces: Math.ceil(file.length / m.pieceLength),
            path: file.path.join('/'),
          },
        ],
  )
}

/** The largest stored-layers file `m` can have (every layer, and room for the keys). */
export function storedLayersBytesMax(m: Metainfo): number {
  const hashes = layeredFiles(m).reduce((sum, file) => sum + file.pieces, 0)
  return 1024 + layeredFiles(m).length * 64 + hashes * MERKLE_HASH_BYTES
}

/** The bytes of the stored-layers file holding `layers` (keyed by pieces root hex). */
export function encodeStoredLayers(
  m: Metainfo,
  layers: ReadonlyMap<string, Uint8Array>,
): Uint8Array {
  const byRoot = new Map<string, Uint8Array>()
  for (const file of layeredFiles(m)) {
    const layer = layers.get(toHex(file.root))
    if (layer !== undefined) byRoot.set(keyFromBytes(file.root), layer)
  }
  return encode(
    dictOf({ format: STORED_LAYERS_FORMAT, 'info hash': m.infoHash, 'piece layers': byRoot }),
  )
}

export interface StoredLayers {
  /** The layers that proved their pieces root, keyed by the root's hex. */
  readonly layers: Map<string, Uint8Array>
  /** Paths (`/`-joined) of files whose stored layer was refused. */
  readonly discarded: string[]
}

/** The layers in `bytes` that hash up to their file's pieces root (see the file comment). */
export function decodeStoredLayers(
  bytes: Uint8Array,
  m: Metainfo,
  hashing: Sha256Hashing,
): StoredLayers {
  const none: StoredLayers = { layers: new Map(), discarded: [] }
  const decoded = decode(bytes, { bytesMax: storedLayersBytesMax(m) })
  if (!decoded.ok || !isBDict(decoded.value)) return none
  const dict = decoded.value
  const infoHash = dictGetBytes(dict, 'info hash')
  if (dictGetString(dict, 'format') !== STORED_LAYERS_FORMAT) return none
  if (infoHash === undefined || !equalBytes(infoHash, m.infoHash)) return none
  const raw = dictGetDict(dict, 'piece layers')
  if (raw === undefined) return none
  const result: StoredLayers = { layers: new Map(), discarded: [] }
  for (const file of layeredFiles(m)) {
    const layer = raw.get(keyFromBytes(file.root))
    if (layer === undefined) continue
    const proven =
      layer instanceof Uint8Array &&
      layer.length === file.pieces * MERKLE_HASH_BYTES &&
      equalBytes(rootOfPieceLayer(layer, m.pieceLength, hashing), file.root)
    if (proven) result.layers.set(toHex(file.root), layer)
    else result.discarded.push(file.path)
  }
  // Entries under roots that no file of the torrent has are ignored: nothing would use them.
  return result
}

/**
 * The stored layers of `m` that prove their roots; none when there is no file or it cannot be
 * read (a missing file is the common case: nothing was fetched yet). Never fails.
 */
export function loadStoredLayers(
  store: ResumeStore,
  m: Metainfo,
  hashing: Sha256Hashing,
  done: (loaded: StoredLayers) => void,
): void {
  readSmallFile(store.disk, storedLayersPath(store.dir, m), storedLayersBytesMax(m), (read) =>
    done(
      read.ok ? decodeStoredLayers(read.value, m, hashing) : { layers: new Map(), discarded: [] },
    ),
  )
}

/** Writes `layers` (all of `m`'s, once fetched) as `m`'s stored layers, replacing any. */
export function saveStoredLayers(
  store: ResumeStore,
  m: Metainfo,
  layers: ReadonlyMap<string, Uint8Array>,
  writeAtomic: AtomicWrite,
  done: Callback<void>,
): void {
  const path = storedLayersPath(store.dir, m)
  const write = (): void => writeAtomic(path, encodeStoredLayers(m, layers), done)
  const slash = path.lastIndexOf('/')
  if (slash <= 0) return write()
  store.disk.mkdir(path.slice(0, slash), (made) => (made.ok ? write() : done(made)))
}
