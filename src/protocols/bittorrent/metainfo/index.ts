export {
  PIECE_HASH_BYTES,
  filesInRange,
  pieceHash,
  pieceLengthAt,
  pieceOffset,
  swarmHashes,
  type FileSegment,
  type Metainfo,
  type MetainfoFile,
  type MetaVersion,
} from './types.js'
export { v2PieceOf, type V2Piece } from './v2-pieces.js'
export { parseMetainfo, parseInfoDict, verifyInfoDict } from './parse.js'
export { metainfoError, type MetainfoError, type MetainfoErrorCode } from './errors.js'
export { DEFAULT_METAINFO_LIMITS, type MetainfoLimits } from './limits.js'
export { checkComponent, decodeName, type PathProblem } from './path.js'
export {
  PLANNED_PIECE_LENGTH_MAX,
  PLANNED_PIECE_LENGTH_MIN,
  alignFiles,
  buildInfoDict,
  compareTreePaths,
  buildTorrent,
  planPieceLength,
  type FileInput,
  type InfoDictInput,
  type TorrentInput,
} from './create.js'
export { PieceHasher } from './piece-hasher.js'
export {
  DEFAULT_MAGNET_LIMITS,
  formatMagnet,
  parseMagnet,
  type Magnet,
  type MagnetError,
  type MagnetErrorCode,
  type MagnetLimits,
} from './magnet.js'
