/**
 * The piece map's colours: each cell is one piece (or, for big torrents, a run of pieces),
 * coloured by its state, and missing pieces shaded by how many peers have them.
 */

export type CellKind = 'verified' | 'hashing' | 'partial' | 'missing' | 'unavailable'

export interface Cell {
  readonly kind: CellKind
  /** Lowest availability among the cell's missing pieces (0 for verified cells). */
  readonly availability: number
}

/**
 * Cells for `states` (one character per piece, '0' missing .. '3' verified) folded into at
 * most `maxCells`: a cell is as done as its least done piece, so a gap never hides.
 */
export function pieceCells(
  states: string,
  availability: readonly number[],
  maxCells: number,
): Cell[] {
  const pieces = states.length
  if (pieces === 0) return []
  const cells = Math.min(pieces, Math.max(1, maxCells))
  const out: Cell[] = []
  for (let cell = 0; cell < cells; cell++) {
    const first = Math.floor((cell * pieces) / cells)
    const end = Math.floor(((cell + 1) * pieces) / cells)
    let least = 3
    let scarcest = Infinity
    for (let piece = first; piece < end; piece++) {
      const state = Number(states[piece])
      least = Math.min(least, state)
      if (state !== 3) scarcest = Math.min(scarcest, availability[piece] ?? 0)
    }
    const kind: CellKind =
      least === 3
        ? 'verified'
        : least === 2
          ? 'hashing'
          : least === 1
            ? 'partial'
            : scarcest === 0
              ? 'unavailable'
              : 'missing'
    out.push({ kind, availability: scarcest === Infinity ? 0 : scarcest })
  }
  return out
}

/** Counts of each kind, for the legend and the map's text alternative. */
export function cellSummary(states: string): Record<'verified' | 'inFlight' | 'missing', number> {
  let verified = 0
  let inFlight = 0
  for (const c of states) {
    if (c === '3') verified++
    else if (c === '1' || c === '2') inFlight++
  }
  return { verified, inFlight, missing: states.length - verified - inFlight }
}
