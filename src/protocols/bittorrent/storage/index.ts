export { DEFAULT_STORAGE_LIMITS, type StorageLimits } from './limits.js'
export type { Defer } from './callbacks.js'
export { filePaths, joinPath, statFileStates, statFiles, type FileState } from './file-paths.js'
export {
  PieceStore,
  type PieceReader,
  type PieceStoreOptions,
  type WriteOutcome,
} from './piece-store.js'
export { inlinePieceHashing, type PieceHashing, type V2PieceShape } from './piece-hashing.js'
export { checkPiece, pieceCheckable } from './piece-check.js'
export {
  PieceVerifier,
  type PieceVerifierOptions,
  type VerifierStats,
  type VerifyOutcome,
} from './verifier.js'
export {
  RESUME_FORMAT,
  RESUME_FORMAT_VERSION,
  decodeResume,
  encodeResume,
  requiredFileSizes,
  resumeBytesMax,
  type ResumeRecord,
  type ResumeRejection,
  type ResumeRejectionCode,
} from './resume-codec.js'
export {
  RESUME_DIR,
  loadResume,
  resumePath,
  type ResumeLoad,
  type ResumeSource,
  type ResumeStore,
} from './resume.js'
export { ResumeWriter, type AtomicWrite, type ResumeWriterOptions } from './resume-writer.js'
export {
  recheck,
  type RecheckHandle,
  type RecheckOptions,
  type RecheckProgress,
} from './recheck.js'
export { completedFiles, isFileComplete } from './completed-files.js'
export {
  TorrentStorage,
  type BlockWriteOutcome,
  type ResumeTarget,
  type TorrentStorageOptions,
} from './torrent-storage.js'
export {
  STORED_LAYERS_FORMAT,
  decodeStoredLayers,
  encodeStoredLayers,
  lacksPieceLayers,
  loadStoredLayers,
  saveStoredLayers,
  storedLayersPath,
  type StoredLayers,
} from './stored-layers.js'
