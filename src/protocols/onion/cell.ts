/**
 * Link-level cells of tor-spec §3 for link protocols 4 and 5: fixed cells are 514 bytes
 * (4-byte circuit id, 1-byte command, 509-byte payload); variable-length cells (VERSIONS and
 * commands 128 and up) carry a 2-byte length. VERSIONS is always sent with a 2-byte circuit
 * id, because it is exchanged before a version is agreed.
 */
import { readUint16BE, readUint32BE, writeUint16BE, writeUint32BE } from '../../core/bytes.js'
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'

export const CellCommand = {
  PADDING: 0,
  CREATE: 1,
  CREATED: 2,
  RELAY: 3,
  DESTROY: 4,
  CREATE_FAST: 5,
  CREATED_FAST: 6,
  VERSIONS: 7,
  NETINFO: 8,
  RELAY_EARLY: 9,
  CREATE2: 10,
  CREATED2: 11,
  PADDING_NEGOTIATE: 12,
  VPADDING: 128,
  CERTS: 129,
  AUTH_CHALLENGE: 130,
  AUTHENTICATE: 131,
  AUTHORIZE: 132,
} as const

export const CELL_PAYLOAD_BYTES = 509
export const FIXED_CELL_BYTES = 514
/** The link protocols plexus speaks: both use 4-byte circuit ids and 514-byte cells. */
export const LINK_PROTOCOLS: readonly number[] = [4, 5]

export interface Cell {
  readonly circId: number
  readonly command: number
  /** 509 bytes for fixed cells; any length up to 65535 for variable ones. */
  readonly payload: Uint8Array
}

export const isVariableLengthCommand = (command: number): boolean =>
  command === CellCommand.VERSIONS || command >= 128

const KNOWN_COMMANDS = new Set<number>(Object.values(CellCommand))
export const isKnownCommand = (command: number): boolean => KNOWN_COMMANDS.has(command)

export const malformed = (detail: string): RemoteFault => ({ code: 'malformed', detail })

/** The encoded size of `cell`. */
export function encodedCellBytes(cell: Cell, circIdBytes: 2 | 4 = 4): number {
  const variable = isVariableLengthCommand(cell.command)
  return circIdBytes + 1 + (variable ? 2 + cell.payload.length : CELL_PAYLOAD_BYTES)
}

/**
 * Encodes a cell. Fixed-cell payloads shorter than 509 bytes are zero-padded (tor-spec: the
 * rest of a fixed cell is padding); longer ones are a programming error.
 */
export function encodeCell(cell: Cell, circIdBytes: 2 | 4 = 4): Uint8Array {
  const out = new Uint8Array(encodedCellBytes(cell, circIdBytes))
  encodeCellInto(cell, out, 0, circIdBytes)
  return out
}

/**
 * `encodeCell` into `out` at `offset` (room for `encodedCellBytes` is the caller's to make);
 * padding bytes of a short fixed payload are zeroed. Returns the offset after the cell.
 */
export function encodeCellInto(
  cell: Cell,
  out: Uint8Array,
  offset: number,
  circIdBytes: 2 | 4 = 4,
): number {
  const variable = isVariableLengthCommand(cell.command)
  if (!variable && cell.payload.length > CELL_PAYLOAD_BYTES)
    throw new RangeError(`fixed cell payload of ${cell.payload.length} bytes`)
  if (variable && cell.payload.length > 0xffff)
    throw new RangeError(`variable cell payload of ${cell.payload.length} bytes`)
  const headerBytes = circIdBytes + 1 + (variable ? 2 : 0)
  const end = offset + encodedCellBytes(cell, circIdBytes)
  if (circIdBytes === 4) writeUint32BE(out, offset, cell.circId)
  else writeUint16BE(out, offset, cell.circId)
  out[offset + circIdBytes] = cell.command
  if (variable) writeUint16BE(out, offset + circIdBytes + 1, cell.payload.length)
  out.set(cell.payload, offset + headerBytes)
  out.fill(0, offset + headerBytes + cell.payload.length, end)
  return end
}

/**
 * A copy the cell owns: the bytes pushed may be a Node Buffer, whose `slice` is a view, and
 * circuits decrypt payloads in place.
 */
const copyOf = (bytes: Uint8Array, start: number, end: number): Uint8Array =>
  new Uint8Array(bytes.subarray(start, end))

/**
 * Splits a byte stream into cells. Before the VERSIONS exchange the circuit id is 2 bytes;
 * plexus speaks only link protocols 4 and 5, so right after the peer's VERSIONS cell every
 * cell has a 4-byte circuit id (the peer's next cells may arrive in the same read; a link
 * with no protocol in common is closed anyway). `useWideCircIds` starts in that mode. Unknown
 * commands are returned (the link decides; tor-spec says to drop them), because the framing
 * of a fixed cell does not depend on its command.
 */
export class CellFramer {
  private buffered: Uint8Array = new Uint8Array(0)
  private circIdBytes: 2 | 4 = 2

  /**
   * With `handsOverInput`, the caller gives up the bytes it pushes (a socket's fresh read):
   * payloads are views into them rather than copies, and whoever gets a cell may change its
   * payload in place. Without it every payload is a copy the cell owns.
   */
  constructor(private readonly handsOverInput = false) {}

  useWideCircIds(): void {
    this.circIdBytes = 4
  }

  push(bytes: Uint8Array): Result<Cell[], RemoteFault> {
    // Most reads end on a cell boundary: join only when bytes are left from the last one.
    let joined = bytes
    if (this.buffered.length > 0) {
      joined = new Uint8Array(this.buffered.length + bytes.length)
      joined.set(this.buffered)
      joined.set(bytes, this.buffered.length)
    }
    const cells: Cell[] = []
    let offset = 0
    for (;;) {
      const next = this.readOne(joined, offset)
      if (next === undefined) break
      if (!next.ok) return next
      cells.push(next.value.cell)
      offset = next.value.end
    }
    this.buffered = copyOf(joined, offset, joined.length)
    return ok(cells)
  }

  private payloadOf(bytes: Uint8Array, start: number, end: number): Uint8Array {
    // A joined buffer is ours either way; pushed bytes only when handed over.
    // A plain Uint8Array view even over a Node Buffer, so decoded fields have one type.
    return this.handsOverInput
      ? new Uint8Array(bytes.buffer, bytes.byteOffset + start, end - start)
      : copyOf(bytes, start, end)
  }

  private readOne(
    bytes: Uint8Array,
    offset: number,
  ): Result<{ cell: Cell; end: number }, RemoteFault> | undefined {
    const idBytes = this.circIdBytes
    if (bytes.length - offset < idBytes + 1) return undefined
    const circId = idBytes === 4 ? readUint32BE(bytes, offset) : readUint16BE(bytes, offset)
    const command = bytes[offset + idBytes] ?? 0
    if (idBytes === 2 && command !== CellCommand.VERSIONS)
      return err(malformed(`command ${command} before VERSIONS`))
    if (isVariableLengthCommand(command)) {
      if (bytes.length - offset < idBytes + 3) return undefined
      const length = readUint16BE(bytes, offset + idBytes + 1)
      const start = offset + idBytes + 3
      if (bytes.length < start + length) return undefined
      if (idBytes === 2) this.circIdBytes = 4
      return ok({
        cell: { circId, command, payload: this.payloadOf(bytes, start, start + length) },
        end: start + length,
      })
    }
    const start = offset + idBytes + 1
    if (bytes.length < start + CELL_PAYLOAD_BYTES) return undefined
    return ok({
      cell: { circId, command, payload: this.payloadOf(bytes, start, start + CELL_PAYLOAD_BYTES) },
      end: start + CELL_PAYLOAD_BYTES,
    })
  }
}

/** Decodes exactly one cell (fuzz tests and relays that read cell by cell). */
export function decodeCell(bytes: Uint8Array, circIdBytes: 2 | 4 = 4): Result<Cell, RemoteFault> {
  const framer = new CellFramer()
  if (circIdBytes === 4) framer.useWideCircIds()
  const cells = framer.push(bytes)
  if (!cells.ok) return cells
  const [cell] = cells.value
  if (cells.value.length !== 1 || cell === undefined) return err(malformed('not exactly one cell'))
  if (encodeCell(cell, circIdBytes).length !== bytes.length) return err(malformed('trailing bytes'))
  return ok(cell)
}
