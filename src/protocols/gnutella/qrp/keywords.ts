/**
 * Keywords as QRP sees them: words of letters and digits, lower-cased. A shared file also puts
 * its words minus one and two trailing characters in the table (LimeWire's plural stemming,
 * for words longer than 4), so "songs" matches a query for "song". A query matches a table
 * when every one of its words is present, or when one of its SHA-1 URNs is.
 */
const SPLIT = /[^\p{L}\p{N}]+/u
/** A query with more words than this is refused (the table test is per word). */
export const QUERY_WORDS_MAX = 32

export function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(SPLIT)
    .filter((w) => w.length > 0)
}

/** The keywords a file contributes to its servent's table. */
export function fileKeywords(fileName: string, urns: readonly string[] = []): string[] {
  const out = new Set<string>()
  for (const word of words(fileName)) {
    out.add(word)
    if (word.length > 4) {
      out.add(word.slice(0, -1))
      out.add(word.slice(0, -2))
    }
  }
  for (const urn of urns) out.add(urn.toLowerCase())
  return [...out]
}
