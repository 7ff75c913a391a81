import { open, readdir, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fromUtf8Strict, utf8 } from '../../core/bytes.js'
import {
  alignFiles,
  buildInfoDict,
  buildTorrent,
  checkComponent,
  compareTreePaths,
  decodeName,
  DEFAULT_METAINFO_LIMITS,
  planPieceLength,
  type FileInput,
  type MetaVersion,
} from '../../protocols/bittorrent/metainfo/index.js'
import {
  blockHashes,
  fileTreeOf,
  isPowerOfTwo,
  MERKLE_BLOCK_BYTES,
  type FileTree,
} from '../../protocols/bittorrent/merkle/index.js'
import { WorkerPieceHashing } from '../bittorrent-storage/worker-hashing.js'
import { NodeHashing } from '../node/hashing.js'

/**
 * `plexus create`: walks a file or directory, hashes its pieces on worker threads while the main
 * thread reads ahead (both cores busy, the event loop free for the progress display), and
 * builds a canonical .torrent. Files are ordered by the bytes of their UTF-8 paths, so the same
 * tree always gives the same info-hash; v2 and hybrid torrents (BEP 52, hybrid the default as
 * in libtorrent) order them as their file tree does, component by component, and align each
 * file to a piece: the SHA-256 merkle trees are computed from the same aligned pieces on the
 * main thread (SHA-256 runs at about 2 GB/s with the CPU's SHA extensions).
 */
export interface CreateTorrentOptions {
  readonly trackers?: readonly string[]
  /** Bytes; planned from the total size when absent. */
  readonly pieceLength?: number
  readonly private?: boolean
  readonly comment?: string
  readonly webSeeds?: readonly string[]
  /** Seconds since the epoch; `undefined` leaves the field out (reproducible torrents). */
  readonly creationDate?: number
  readonly onProgress?: (hashedBytes: number, totalBytes: number) => void
  /** BEP 52 generation; hybrid (v1 and v2 in one) when absent, as libtorrent does. */
  readonly version?: MetaVersion
}

/** An entry `create` left out: a torrent carries regular files and folders only. */
export interface SkippedEntry {
  /** Relative to the shared folder, `/`-separated, unsafe characters escaped as `%XX`. */
  readonly path: string
  readonly reason: 'symlink' | 'special'
}

export interface CreatedTorrent {
  readonly torrent: Uint8Array
  readonly name: string
  readonly totalBytes: number
  readonly pieceLength: number
  readonly pieceCount: number
  readonly version: MetaVersion
  /** Symbolic links (never followed) and sockets, FIFOs, devices, in walk order. */
  readonly skipped: readonly SkippedEntry[]
}

interface SourceFile {
  readonly diskPath: string
  readonly components: string[]
  readonly length: number
}

/** A file of the payload, or a BEP 47 padding file (zeros, nothing on disk). */
type PayloadFile = SourceFile | { readonly pad: number }

/** Pieces read ahead of the hashers; bounds memory at this many piece lengths. */
const PIECES_IN_FLIGHT_MAX = 8
const FILES_MAX = DEFAULT_METAINFO_LIMITS.fileCountMax
const COMPONENT_BYTES_MAX = DEFAULT_METAINFO_LIMITS.componentBytesMax

/**
 * A name as it goes into the torrent, or an error naming the file. Every client maps a name
 * to disk through `decodeName` (metainfo/path.ts: invalid UTF-8, controls such as a newline
 * and bidirectional overrides become `%XX`), and so does our own `seed`. A name that mapping
 * would change cannot be seeded from the file that has it (the seed would look for
 * `new%0Aline` and find nothing), so it is refused here, naming the file, rather than
 * producing a torrent stuck below 100 %.
 */
function shareableName(bytes: Uint8Array, where: string): string {
  const text = fromUtf8Strict(bytes)
  const shown = decodeName(bytes)
  const at = where === '' ? `'${shown}'` : `'${where}/${shown}'`
  if (text === undefined) {
    throw new Error(`cannot share ${at}: its name is not valid UTF-8; rename it`)
  }
  if (shown !== text) {
    throw new Error(
      `cannot share ${at}: its name has a control or bidirectional-override character ` +
        `that clients store as '${shown}'; rename it`,
    )
  }
  const problem = checkComponent(text, COMPONENT_BYTES_MAX)
  if (problem !== undefined) throw new Error(`cannot share ${at}: ${problem.reason}`)
  return text
}

async function walk(
  root: string,
  components: string[],
  out: SourceFile[],
  skipped: SkippedEntry[],
): Promise<void> {
  const dir = join(root, ...components)
  // Names as bytes: a string would have replaced invalid UTF-8 with U+FFFD already.
  const entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' })
  for (const entry of entries) {
    const where = components.join('/')
    if (entry.isSymbolicLink()) {
      const shown = decodeName(entry.name)
      skipped.push({ path: where === '' ? shown : `${where}/${shown}`, reason: 'symlink' })
      continue
    }
    const name = shareableName(entry.name, where)
    const path = [...components, name]
    if (entry.isDirectory()) await walk(root, path, out, skipped)
    else if (entry.isFile()) {
      const info = await stat(join(dir, name))
      out.push({ diskPath: join(dir, name), components: path, length: info.size })
    } else skipped.push({ path: path.join('/'), reason: 'special' })
    if (out.length > FILES_MAX) throw new Error(`more than ${FILES_MAX} files`)
  }
}

const byUtf8 = (a: SourceFile, b: SourceFile): number =>
  Buffer.compare(Buffer.from(a.components.join('/')), Buffer.from(b.components.join('/')))

export async function listSourceFiles(
  path: string,
): Promise<{ name: string; files: SourceFile[]; skipped: SkippedEntry[] }> {
  const info = await stat(path)
  const name = shareableName(utf8(basename(path)), '')
  if (info.isFile()) {
    return { name, files: [{ diskPath: path, components: [], length: info.size }], skipped: [] }
  }
  if (!info.isDirectory()) throw new Error(`${path} is neither a file nor a directory`)
  const files: SourceFile[] = []
  const skipped: SkippedEntry[] = []
  await walk(path, [], files, skipped)
  files.sort(byUtf8)
  if (files.length === 0) throw new Error(`${path} holds no files`)
  return { name, files, skipped }
}

/**
 * Reads the concatenated content piece by piece, in order, with `owner`: the index in `files`
 * of the last real file with bytes in the piece, and `ownerBytes`, how many (in an aligned
 * layout, the one file in the piece and its length there).
 */
async function* readPieces(files: readonly PayloadFile[], pieceLength: number) {
  let piece = new Uint8Array(pieceLength)
  let filled = 0
  let owner = -1
  let ownerBytes = 0
  for (const [index, file] of files.entries()) {
    if ('pad' in file) {
      // Padding never crosses a piece boundary: it fills the rest of the piece with zeros.
      filled += file.pad
      if (filled === pieceLength) {
        yield { piece, owner, ownerBytes }
        piece = new Uint8Array(pieceLength)
        filled = 0
      }
      continue
    }
    if (file.length > 0 && owner !== index) {
      owner = index
      ownerBytes = 0
    }
    const handle = await open(file.diskPath, 'r')
    try {
      let position = 0
      while (position < file.length) {
        const want = Math.min(pieceLength - filled, file.length - position)
        const { bytesRead } = await handle.read(piece, filled, want, position)
        if (bytesRead === 0) throw new Error(`${file.diskPath} shrank while being hashed`)
        position += bytesRead
        filled += bytesRead
        ownerBytes += bytesRead
        if (filled === pieceLength) {
          yield { piece, owner, ownerBytes }
          piece = new Uint8Array(pieceLength)
          filled = 0
          ownerBytes = 0
        }
      }
    } finally {
      await handle.close()
    }
  }
  if (filled > 0) yield { piece: piece.subarray(0, filled), owner, ownerBytes }
}

/** The payload in order: with padding files when v2 aligns it. */
function payloadOf(files: readonly SourceFile[], pieceLength: number, version: MetaVersion) {
  if (version === 'v1') return files
  const inputs = files.map((f) => ({ path: f.components, length: f.length, source: f }))
  return alignFiles(inputs, pieceLength).map((f) => ('source' in f ? f.source : { pad: f.length }))
}

/** Per-file SHA-256 block hashes, fed piece by piece (each piece holds one file's bytes). */
class MerkleFeed {
  private readonly blocks = new Map<number, Uint8Array[]>()
  private readonly hashing = new NodeHashing()

  constructor(private readonly pieceLength: number) {}

  add(owner: number, data: Uint8Array): void {
    const list = this.blocks.get(owner) ?? []
    list.push(...blockHashes(data, this.hashing))
    this.blocks.set(owner, list)
  }

  /** The tree of payload file `owner`, or undefined for an empty file. */
  treeOf(owner: number): FileTree | undefined {
    const blocks = this.blocks.get(owner)
    return blocks === undefined ? undefined : fileTreeOf(blocks, this.pieceLength, this.hashing)
  }
}

export async function createTorrent(
  path: string,
  options: CreateTorrentOptions = {},
): Promise<CreatedTorrent> {
  const version = options.version ?? 'hybrid'
  const listed = await listSourceFiles(path)
  const { name, skipped } = listed
  const files =
    version === 'v1'
      ? listed.files
      : [...listed.files].sort((a, b) => compareTreePaths(a.components, b.components))
  const contentBytes = files.reduce((sum, f) => sum + f.length, 0)
  if (contentBytes === 0) throw new Error(`${path} is empty: a torrent needs at least one byte`)
  const pieceLength = options.pieceLength ?? planPieceLength(contentBytes)
  if (version !== 'v1' && !isV2PieceLength(pieceLength)) {
    throw new Error(
      `piece length ${pieceLength}: v2 and hybrid torrents need a power of two of at least ` +
        '16384 bytes (or --v1)',
    )
  }
  const payload = payloadOf(files, pieceLength, version)
  const totalBytes = payload.reduce((sum, f) => sum + ('pad' in f ? f.pad : f.length), 0)
  const pieceCount = Math.ceil(totalBytes / pieceLength)
  const pieces = new Uint8Array(pieceCount * 20)
  const merkle = new MerkleFeed(pieceLength)
  const hashing = new WorkerPieceHashing()
  try {
    let index = 0
    let hashed = 0
    const inFlight = new Set<Promise<void>>()
    for await (const { piece, owner, ownerBytes } of readPieces(payload, pieceLength)) {
      if (version !== 'v1' && ownerBytes > 0) merkle.add(owner, piece.subarray(0, ownerBytes))
      const at = index++
      const job = new Promise<void>((resolve, reject) => {
        hashing.hashPiece(at, [piece], (result) => {
          if (!result.ok) return reject(result.error)
          pieces.set(result.value, at * 20)
          hashed += piece.length
          options.onProgress?.(hashed, totalBytes)
          resolve()
        })
      })
      inFlight.add(job)
      void job.finally(() => inFlight.delete(job)).catch(() => undefined)
      if (inFlight.size >= PIECES_IN_FLIGHT_MAX) await Promise.race(inFlight)
    }
    await Promise.all(inFlight)
    if (index !== pieceCount) throw new Error(`${path} changed while being hashed`)
  } finally {
    await hashing.close()
  }
  const fileInputs: FileInput[] = files.map((f) => ({ path: f.components, length: f.length }))
  const payloadIndex = new Map(payload.map((file, index) => [file, index]))
  const trees = files.map((file) => merkle.treeOf(payloadIndex.get(file) ?? -1))
  const info = buildInfoDict({
    name,
    files: fileInputs,
    pieceLength,
    version,
    ...(version === 'v2' ? {} : { pieces }),
    ...(version === 'v1' ? {} : { piecesRoots: trees.map((tree) => tree?.root) }),
    ...(options.private === true ? { private: true } : {}),
  })
  const pieceLayers = trees.flatMap((tree) =>
    tree?.pieceLayer === undefined ? [] : [{ root: tree.root, layer: tree.pieceLayer }],
  )
  const trackers = options.trackers ?? []
  const torrent = buildTorrent({
    info,
    ...(trackers[0] === undefined ? {} : { announce: trackers[0] }),
    ...(trackers.length > 1 ? { announceList: trackers.map((t) => [t]) } : {}),
    ...(options.webSeeds === undefined || options.webSeeds.length === 0
      ? {}
      : { urlList: options.webSeeds }),
    ...(options.comment === undefined ? {} : { comment: options.comment }),
    createdBy: 'plexus',
    ...(version === 'v1' ? {} : { pieceLayers }),
    ...(options.creationDate === undefined ? {} : { creationDate: options.creationDate }),
  })
  return { torrent, name, totalBytes: contentBytes, pieceLength, pieceCount, version, skipped }
}

const isV2PieceLength = (n: number): boolean => n >= MERKLE_BLOCK_BYTES && isPowerOfTwo(n)
