import type { Bitfield } from './bitfield.js'
import { PIECE_HASHING, PIECE_NONE, PIECE_PARTIAL, PIECE_VERIFIED } from './downloads.js'
import {
  BLOCK_MISSING,
  BLOCK_RECEIVED,
  BLOCK_REQUESTED,
  BLOCK_WRITTEN,
  type PartialPiece,
} from './partial-piece.js'
import type { PiecePicker } from './picker.js'
import { PRIORITY_SKIP, PRIORITY_TOP, type PieceOrder } from './piece-order.js'

/**
 * Checkers the simulator (and the property tests) run against a picker: each returns the
 * problems found, empty when consistent. They recompute everything from scratch, so they
 * cost O(pieces + blocks of partial pieces): call them between steps, not per block.
 */
export function checkPickerConsistency(picker: PiecePicker): string[] {
  const problems: string[] = []
  const { order, downloads } = picker.inspect()
  for (let piece = 0; piece < picker.pieceCount; piece++) {
    const state = downloads.state(piece)
    if ((state === PIECE_VERIFIED) !== downloads.have.get(piece)) {
      problems.push(`piece ${piece}: state ${state} disagrees with the have bitfield`)
    }
    const tracked = state === PIECE_PARTIAL || state === PIECE_HASHING
    if (tracked !== (downloads.partial(piece) !== undefined)) {
      problems.push(`piece ${piece}: state ${state} but block state ${tracked ? 'absent' : 'kept'}`)
    }
    const shouldBeMember = state === PIECE_NONE && order.priority(piece) !== PRIORITY_SKIP
    if (order.isMember(piece) !== shouldBeMember) {
      problems.push(`piece ${piece}: pickable ${order.isMember(piece)} in state ${state}`)
    }
    checkBuckets(order, piece, problems)
  }
  let members = 0
  for (let level = 1; level <= PRIORITY_TOP; level++) members += order.levelOf(level)?.size ?? 0
  if (members !== order.size) problems.push(`order has ${members} members, counts ${order.size}`)

  let requests = 0
  for (const partial of downloads.partialPieces()) {
    requests += checkPartial(partial, downloads.state(partial.piece), problems)
  }
  const open = downloads.openPieces()
  if (new Set(open).size !== open.length) problems.push('open list has duplicates')
  for (const partial of downloads.partialPieces()) {
    const shouldBeOpen = downloads.state(partial.piece) === PIECE_PARTIAL && partial.missing > 0
    if (open.includes(partial.piece) !== shouldBeOpen) {
      problems.push(`piece ${partial.piece}: open ${!shouldBeOpen}, missing ${partial.missing}`)
    }
  }
  let outstanding = 0
  for (const peer of downloads.peersWithRequests()) {
    for (const key of downloads.outstandingOf(peer)) {
      outstanding++
      const piece = picker.geometry.pieceOfKey(key)
      const index = picker.geometry.indexOfKey(key)
      if (downloads.partial(piece)?.hasRequester(index, peer) !== true) {
        problems.push(`peer ${peer}: outstanding ${piece}/${index} not recorded on the block`)
      }
    }
  }
  if (outstanding !== requests) {
    problems.push(`${outstanding} outstanding requests by peer, ${requests} by block`)
  }
  return problems
}

/** Availability must equal the sum of the connected peers' bitfields, piece by piece. */
export function checkAvailability(picker: PiecePicker, peers: Iterable<Bitfield>): string[] {
  const sums = new Uint32Array(picker.pieceCount)
  for (const has of peers) {
    for (let piece = has.nextSet(0); piece !== -1; piece = has.nextSet(piece + 1)) {
      sums[piece] = (sums[piece] as number) + 1
    }
  }
  const problems: string[] = []
  for (let piece = 0; piece < picker.pieceCount; piece++) {
    const sum = sums[piece] as number
    if (picker.availability(piece) !== sum) {
      problems.push(`piece ${piece}: availability ${picker.availability(piece)}, peers ${sum}`)
    }
  }
  return problems
}

function checkBuckets(order: PieceOrder, piece: number, problems: string[]): void {
  for (let level = 1; level <= PRIORITY_TOP; level++) {
    const buckets = order.levelOf(level)
    const inLevel = buckets?.has(piece) ?? false
    const expected = order.isMember(piece) && order.priority(piece) === level
    if (inLevel !== expected) problems.push(`piece ${piece}: in level ${level} is ${inLevel}`)
    if (buckets === undefined || !inLevel) continue
    const key = order.partialAvailability(piece)
    const at = buckets.positionOf(piece)
    if (buckets.at(at) !== piece || at < buckets.bucketBegin(key) || at >= buckets.bucketEnd(key)) {
      problems.push(`piece ${piece}: at ${at}, outside the bucket of availability ${key}`)
    }
  }
}

/** Checks one partial piece's block bookkeeping; returns its outstanding request count. */
function checkPartial(partial: PartialPiece, state: number, problems: string[]): number {
  const name = `piece ${partial.piece}`
  let missing = 0
  let received = 0
  let written = 0
  let requests = 0
  for (let index = 0; index < partial.blockCount; index++) {
    const blockState = partial.state(index)
    const requesters = partial.requestersOf(index)
    requests += requesters.length
    if (new Set(requesters).size !== requesters.length) {
      problems.push(`${name}/${index}: a peer requested it twice`)
    }
    if ((blockState === BLOCK_REQUESTED) !== requesters.length > 0) {
      problems.push(`${name}/${index}: state ${blockState} with ${requesters.length} requesters`)
    }
    const delivered = blockState === BLOCK_RECEIVED || blockState === BLOCK_WRITTEN
    if (delivered !== (partial.delivererOf(index) !== -1)) {
      problems.push(`${name}/${index}: state ${blockState} disagrees with its deliverer`)
    }
    if (blockState === BLOCK_MISSING) missing++
    if (delivered) received++
    if (blockState === BLOCK_WRITTEN) written++
  }
  if (missing !== partial.missing)
    problems.push(`${name}: ${missing} missing, counts ${partial.missing}`)
  if (received !== partial.received) problems.push(`${name}: received count ${partial.received}`)
  if (written !== partial.written) problems.push(`${name}: written count ${partial.written}`)
  if (state === PIECE_HASHING && written !== partial.blockCount) {
    problems.push(`${name}: hashing with ${written} of ${partial.blockCount} blocks written`)
  }
  return requests
}
