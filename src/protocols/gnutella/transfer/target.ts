/**
 * The request targets a Gnutella servent serves (Gnutella 0.6 draft section 4, HUGE 0.94):
 * `/get/<index>/<name>` and `/uri-res/N2R?urn:sha1:<base32>`. A target only names a file of
 * the shared index; it is never turned into a path, so `..` and the like can only fail to
 * match (the server compares the decoded name with the indexed one).
 */
import { sha1OfUrn, sha1Urn } from '../base32.js'

export type TransferTarget =
  | { readonly kind: 'urn'; readonly urn: string }
  | { readonly kind: 'index'; readonly fileIndex: number; readonly fileName: string }

const INDEX_MAX = 0xffff_ffff

export function parseTransferTarget(target: string): TransferTarget | undefined {
  const n2r = /^\/uri-res\/N2R\?(urn:sha1:[A-Za-z0-9]+)$/i.exec(target)
  if (n2r !== null) {
    const digest = sha1OfUrn(n2r[1] as string)
    return digest === undefined ? undefined : { kind: 'urn', urn: sha1Urn(digest) }
  }
  const get = /^\/get\/(\d{1,10})\/([^/?#]+)$/.exec(target)
  if (get === null) return undefined
  const fileIndex = Number(get[1])
  if (fileIndex > INDEX_MAX) return undefined
  let fileName: string
  try {
    fileName = decodeURIComponent(get[2] as string)
  } catch {
    return undefined
  }
  if (fileName === '' || /[/\\\0]/.test(fileName)) return undefined
  return { kind: 'index', fileIndex, fileName }
}

/** The `/get/` path for a file (what a QueryHit's index and name lead to). */
export const getPath = (fileIndex: number, fileName: string): string =>
  `/get/${fileIndex}/${encodeURIComponent(fileName)}`

export const n2rPath = (urn: string): string => `/uri-res/N2R?${urn}`
