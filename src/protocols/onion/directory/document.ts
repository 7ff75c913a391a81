/**
 * Tor's directory document format (dir-spec §1.2): lines of `Keyword Arguments`, each
 * optionally followed by a PEM-like object (-----BEGIN TYPE----- base64 -----END TYPE-----).
 * Items keep their offsets in the text, because signatures cover exact byte ranges.
 */
export interface DocumentItem {
  readonly keyword: string
  readonly args: readonly string[]
  readonly object?: { readonly type: string; readonly bytes: Uint8Array }
  /** Offset of the keyword's first character and just past the item (after its object). */
  readonly start: number
  readonly end: number
}

const BASE64 = /^[A-Za-z0-9+/=]*$/

/** Decodes base64 with or without padding (tor often omits it); undefined if malformed. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, '')
  if (!BASE64.test(clean)) return undefined
  const padded = clean.replace(/=+$/, '')
  if (padded.length % 4 === 1) return undefined
  const full = padded + '='.repeat((4 - (padded.length % 4)) % 4)
  const binary = globalThis.atob(full)
  return Uint8Array.from(binary, (char) => char.charCodeAt(0))
}

export function encodeBase64(bytes: Uint8Array): string {
  return globalThis.btoa(String.fromCharCode(...bytes))
}

/** Items of a document, or undefined when an object is unterminated or not base64. */
export function parseDocument(text: string): DocumentItem[] | undefined {
  const items: DocumentItem[] = []
  let offset = 0
  while (offset < text.length) {
    const lineEnd = text.indexOf('\n', offset)
    const end = lineEnd < 0 ? text.length : lineEnd + 1
    const line = text.slice(offset, lineEnd < 0 ? text.length : lineEnd)
    const start = offset
    offset = end
    if (line.trim() === '') continue
    const [keyword = '', ...args] = line.trim().split(/[ \t]+/)
    if (!text.startsWith('-----BEGIN ', offset)) {
      items.push({ keyword, args, start, end })
      continue
    }
    const beginEnd = text.indexOf('\n', offset)
    const type = /^-----BEGIN ([A-Z0-9 ]+)-----$/.exec(text.slice(offset, beginEnd))?.[1]
    const footer = `-----END ${type ?? ''}-----`
    const close = text.indexOf(footer, beginEnd)
    if (type === undefined || beginEnd < 0 || close < 0) return undefined
    const bytes = decodeBase64(text.slice(beginEnd + 1, close))
    if (bytes === undefined) return undefined
    const closeEnd = text.indexOf('\n', close)
    offset = closeEnd < 0 ? text.length : closeEnd + 1
    items.push({ keyword, args, object: { type, bytes }, start, end: offset })
  }
  return items
}

/** Upper-case hex, as tor prints fingerprints. */
export const hexUpper = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase()
