import { useEffect, useRef } from 'preact/hooks'
import type { PieceMapAnswer } from '../model/api-types.js'
import { cellSummary, pieceCells, type Cell } from '../model/piece-map.js'

const COLUMNS = 64
const MAX_ROWS = 24
const CELL = 9

/** Paints one cell in the page's theme colours (custom properties of styles.css). */
function paint(
  context: CanvasRenderingContext2D,
  colour: (name: string) => string,
  cell: Cell,
  maxAvailability: number,
  x: number,
  y: number,
): void {
  const fill = (name: string, alpha = 1): void => {
    context.globalAlpha = alpha
    context.fillStyle = colour(name)
    context.fillRect(x, y, CELL - 1, CELL - 1)
  }
  if (cell.kind === 'verified') return fill('--accent')
  if (cell.kind === 'hashing') return fill('--ok')
  if (cell.kind === 'partial') return fill('--up')
  if (cell.kind === 'unavailable') return fill('--danger', 0.6)
  // Missing: the rarer, the darker (availability 1 is the strongest shade).
  fill('--bar')
  const share = maxAvailability <= 1 ? 1 : 1 - (cell.availability - 1) / maxAvailability
  fill('--muted', 0.2 + 0.5 * share)
}

/** Pieces on a canvas, coloured by state; missing pieces by how many peers have them. */
export function PieceMap({ map }: { map: PieceMapAnswer | undefined }) {
  const canvas = useRef<HTMLCanvasElement>(null)
  const cells =
    map === undefined ? [] : pieceCells(map.states, map.availability, COLUMNS * MAX_ROWS)
  useEffect(() => {
    const element = canvas.current
    const context = element?.getContext('2d')
    if (element === null || element === undefined || context === null || context === undefined) {
      return
    }
    const rows = Math.max(1, Math.ceil(cells.length / COLUMNS))
    element.width = COLUMNS * CELL
    element.height = rows * CELL
    const style = getComputedStyle(element)
    const colour = (name: string): string => style.getPropertyValue(name).trim()
    const maxAvailability = Math.max(1, ...cells.map((c) => c.availability))
    context.clearRect(0, 0, element.width, element.height)
    cells.forEach((cell, i) => {
      const x = (i % COLUMNS) * CELL
      const y = Math.floor(i / COLUMNS) * CELL
      paint(context, colour, cell, maxAvailability, x, y)
    })
    context.globalAlpha = 1
  })
  if (map === undefined) return <p class="empty">Loading…</p>
  if (!map.live) return <p class="empty">The piece map shows while the torrent runs.</p>
  const counts = cellSummary(map.states)
  const folded = map.pieces > cells.length
  const description =
    `${counts.verified} of ${map.pieces} pieces verified, ${counts.inFlight} in progress, ` +
    `${counts.missing} missing` +
    (folded ? `; each cell stands for about ${Math.round(map.pieces / cells.length)} pieces` : '')
  return (
    <figure class="piece-map">
      <canvas ref={canvas} role="img" aria-label={`Piece map: ${description}`} />
      <figcaption>
        <span class="swatch swatch-verified" /> verified <span class="swatch swatch-partial" />{' '}
        downloading <span class="swatch swatch-missing" /> missing (darker: rarer){' '}
        <span class="swatch swatch-unavailable" /> no peer has it · {description}
      </figcaption>
    </figure>
  )
}
