export { Bitfield } from './bitfield.js'
export { BLOCK_LENGTH_DEFAULT, Geometry, type Block, type BlockRef } from './geometry.js'
export {
  PIECE_HASHING,
  PIECE_NONE,
  PIECE_PARTIAL,
  PIECE_VERIFIED,
  type PieceState,
} from './downloads.js'
export {
  BLOCK_MISSING,
  BLOCK_RECEIVED,
  BLOCK_REQUESTED,
  BLOCK_WRITTEN,
  type BlockState,
} from './partial-piece.js'
export { PRIORITY_LOW, PRIORITY_NORMAL, PRIORITY_SKIP, PRIORITY_TOP } from './piece-order.js'
export { partialPiecesLimit, type PickOptions } from './pick.js'
export {
  ENDGAME_DUPLICATES_MAX_DEFAULT,
  PiecePicker,
  RANDOM_FIRST_PIECES_DEFAULT,
  type BlockReceived,
  type PickerConfig,
} from './picker.js'
export { checkAvailability, checkPickerConsistency } from './invariants.js'
