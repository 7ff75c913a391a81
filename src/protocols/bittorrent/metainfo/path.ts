/**
 * File names from an info dictionary, made safe to join under a download directory.
 *
 * Decoding (`decodeName`). BEP 3 says names are UTF-8, but old torrents carry names in a local
 * code page (often with a correct `name.utf-8` beside them, which the parser prefers). Lossy
 * decoding (U+FFFD) would make different names equal and hide which bytes were there, so each
 * byte that is not part of valid UTF-8 is written as `%XX` instead: readable, reversible by a
 * person, and never a separator. The same escape covers code points that are valid but unsafe
 * to show or to create: C0 and C1 controls (a name must not inject terminal escape sequences
 * into our output) and the bidirectional overrides that disguise `gpj.exe` as `exe.jpg`
 * (libtorrent strips those). NUL is kept, so the checks below refuse it. Escaping may make two
 * names equal; the duplicate check then refuses the torrent rather than merging files.
 *
 * Checks (`checkComponent`, `findPathClash`). A component is one name, never a sub-path: no
 * `/` or `\`, not `.` or `..`, not empty, no NUL, not over NAME_MAX bytes. Windows-only rules
 * (drive letters, `CON`, `:*?"<>|`) are left to a Windows storage driver.
 */
import { fromUtf8Strict, utf8 } from '../../../core/bytes.js'
import type { MetainfoErrorCode } from './errors.js'

export interface PathProblem {
  readonly code: MetainfoErrorCode
  readonly reason: string
}

/** The name as text: UTF-8, with invalid bytes and unsafe code points escaped as `%XX`. */
export function decodeName(bytes: Uint8Array): string {
  const text = fromUtf8Strict(bytes)
  if (text !== undefined && !hasUnsafeCodePoint(text)) return text
  let out = ''
  let at = 0
  while (at < bytes.length) {
    const length = sequenceLength(bytes, at)
    const codePoint = length === 0 ? -1 : codePointAt(bytes, at, length)
    if (codePoint >= 0 && !isUnsafeCodePoint(codePoint)) out += String.fromCodePoint(codePoint)
    else for (let i = 0; i < Math.max(1, length); i++) out += escapeByte(bytes[at + i] as number)
    at += Math.max(1, length)
  }
  return out
}

/** Why `component` may not be a file or directory name, or undefined when it may. */
export function checkComponent(component: string, bytesMax: number): PathProblem | undefined {
  if (component.length === 0) return { code: 'path_empty', reason: 'is empty' }
  if (component === '.' || component === '..') {
    return { code: 'path_traversal', reason: `is '${component}'` }
  }
  if (component.includes('\0')) return { code: 'path_nul', reason: 'contains NUL' }
  if (component.startsWith('/') || component.startsWith('\\')) {
    return { code: 'path_absolute', reason: 'starts with a path separator' }
  }
  if (component.includes('/') || component.includes('\\')) {
    return { code: 'path_separator', reason: 'contains a path separator' }
  }
  const bytes = utf8(component).length
  if (bytes > bytesMax) return { code: 'path_too_long', reason: `is ${bytes} bytes` }
  return undefined
}

/**
 * The first pair of files that would collide on disk: the same path twice, or a path that is
 * a file in one entry and a directory in another. Padding files are skipped: storage never
 * creates them, and BEP 47 lets many share one name (`.pad/16384`).
 */
export function findPathClash(
  files: readonly { readonly path: readonly string[]; readonly pad: boolean }[],
): PathProblem | undefined {
  const filePaths = new Set<string>()
  const directories = new Set<string>()
  for (const file of files) {
    if (file.pad) continue
    // Components never contain '/', so joining with it is unambiguous.
    const key = file.path.join('/')
    if (filePaths.has(key)) return { code: 'path_duplicate', reason: `'${key}' appears twice` }
    if (directories.has(key)) {
      return { code: 'path_conflict', reason: `'${key}' is both a file and a directory` }
    }
    filePaths.add(key)
    let prefix = ''
    for (const component of file.path.slice(0, -1)) {
      prefix = prefix === '' ? component : `${prefix}/${component}`
      if (filePaths.has(prefix)) {
        return { code: 'path_conflict', reason: `'${prefix}' is both a file and a directory` }
      }
      directories.add(prefix)
    }
  }
  return undefined
}

const escapeByte = (byte: number): string => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`

function hasUnsafeCodePoint(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (isUnsafeCodePoint(text.charCodeAt(i))) return true
  return false
}

/** Controls other than NUL, and the bidirectional formatting characters. */
function isUnsafeCodePoint(codePoint: number): boolean {
  return (
    (codePoint >= 0x01 && codePoint <= 0x1f) ||
    (codePoint >= 0x7f && codePoint <= 0x9f) ||
    codePoint === 0x200e ||
    codePoint === 0x200f ||
    (codePoint >= 0x202a && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069)
  )
}

/**
 * Length of the well-formed UTF-8 sequence at `at` (Unicode table 3-7: no overlongs, no
 * surrogates, nothing above U+10FFFF), or 0 when the byte there does not start one.
 */
function sequenceLength(bytes: Uint8Array, at: number): number {
  const lead = bytes[at] as number
  if (lead < 0x80) return 1
  let length: number
  let low = 0x80
  let high = 0xbf
  if (lead >= 0xc2 && lead <= 0xdf) length = 2
  else if (lead >= 0xe0 && lead <= 0xef) length = 3
  else if (lead >= 0xf0 && lead <= 0xf4) length = 4
  else return 0
  if (lead === 0xe0) low = 0xa0
  else if (lead === 0xed) high = 0x9f
  else if (lead === 0xf0) low = 0x90
  else if (lead === 0xf4) high = 0x8f
  for (let i = 1; i < length; i++) {
    const byte = bytes[at + i]
    if (byte === undefined || byte < (i === 1 ? low : 0x80) || byte > (i === 1 ? high : 0xbf)) {
      return 0
    }
  }
  return length
}

function codePointAt(bytes: Uint8Array, at: number, length: number): number {
  const lead = bytes[at] as number
  if (length === 1) return lead
  let codePoint = lead & (0x7f >> length)
  for (let i = 1; i < length; i++) codePoint = (codePoint << 6) | ((bytes[at + i] as number) & 0x3f)
  return codePoint
}
