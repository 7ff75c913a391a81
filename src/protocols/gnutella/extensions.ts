/**
 * Extension blocks of Query and QueryHit results (GDF 0.6 section 2.2.7 and HUGE 0.94): parts
 * separated by 0x1C, each a GGEP block (0xC3...), a HUGE URN (`urn:sha1:...`) or something we
 * skip (XML, plain text). In a Query the block runs to the end of the payload; in a result it
 * sits between the file name's NUL and the result's closing NUL.
 */
import { fromUtf8, utf8 } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import { decodeGgep, encodeGgep, GGEP_MAGIC } from './ggep.js'
import type { GgepExtension } from './messages.js'

const SEPARATOR = 0x1c
/** More URNs than any real query or result carries. */
export const URNS_MAX = 16

export interface ExtensionBlock {
  readonly urns: readonly string[]
  readonly ggep: readonly GgepExtension[]
}

function nextBoundary(area: Uint8Array, from: number): number {
  for (let i = from; i < area.length; i++) {
    const b = area[i]
    if (b === SEPARATOR || b === 0) return i
  }
  return area.length
}

export function decodeExtensions(
  area: Uint8Array,
): Result<{ urns: string[]; ggep: GgepExtension[] }, string> {
  const urns: string[] = []
  const ggep: GgepExtension[] = []
  let at = 0
  while (at < area.length) {
    const b = area[at]
    if (b === SEPARATOR || b === 0) {
      at++
      continue
    }
    if (b === GGEP_MAGIC) {
      const block = decodeGgep(area, at)
      if (!block.ok) return block
      if (ggep.length + block.value.extensions.length > 32) return err('too many GGEP extensions')
      ggep.push(...block.value.extensions)
      at += block.value.consumed
      continue
    }
    const end = nextBoundary(area, at)
    const text = fromUtf8(area.subarray(at, end))
    if (text.toLowerCase().startsWith('urn:')) {
      if (urns.length >= URNS_MAX) return err('too many URNs')
      urns.push(text)
    }
    at = end
  }
  return ok({ urns, ggep })
}

/** URNs first (HUGE), then one GGEP block, separated by 0x1C. */
export function encodeExtensions(block: ExtensionBlock): Uint8Array {
  const parts: Uint8Array[] = block.urns.map((u) => utf8(u))
  if (block.ggep.length > 0) parts.push(encodeGgep(block.ggep))
  let length = Math.max(0, parts.length - 1)
  for (const p of parts) length += p.length
  const out = new Uint8Array(length)
  let at = 0
  parts.forEach((p, i) => {
    if (i > 0) out[at++] = SEPARATOR
    out.set(p, at)
    at += p.length
  })
  return out
}
