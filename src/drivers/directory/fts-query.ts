/**
 * Builds an FTS5 MATCH expression from what a user typed, so that no user syntax ever reaches
 * FTS5's query parser: keywords are cut out of the text with the same character classes as the
 * unicode61 tokenizer's defaults (letters, numbers, private use: `L* N* Co`), each becomes one
 * quoted prefix term (`"ubun"*` finds "ubuntu"), and the terms are AND-ed (FTS5's implicit
 * operator between phrases). Because every term is exactly one token for the tokenizer, a term
 * never splits into a phrase or vanishes (an empty phrase would make the whole AND match
 * nothing), and `AND`, `NEAR`, `-`, `:`, `^`, `(`, quotes typed by the user are plain text.
 */

/** Keywords beyond this are ignored: a search for 200 words is not a search, it is a load. */
export const SEARCH_TERMS_MAX = 16
/** Characters per keyword kept (a 10 KiB "word" would only cost the index time). */
export const SEARCH_TERM_CHARS_MAX = 64

const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu

/**
 * The keywords of `text` in order, deduplicated, capped. Case is left alone: FTS5 folds it, and
 * JavaScript's lowercasing can add combining marks (`İ` -> `i̇`) that the tokenizer splits on.
 */
export function searchTerms(text: string): string[] {
  const terms: string[] = []
  for (const match of text.normalize('NFC').matchAll(TOKEN)) {
    const term = Array.from(match[0]).slice(0, SEARCH_TERM_CHARS_MAX).join('')
    if (!terms.includes(term)) terms.push(term)
    if (terms.length === SEARCH_TERMS_MAX) break
  }
  return terms
}

/**
 * The MATCH expression for `text`, or undefined when it holds no keyword (the caller then
 * lists everything instead of searching).
 */
export function matchExpression(text: string): string | undefined {
  const terms = searchTerms(text)
  if (terms.length === 0) return undefined
  // Quotes cannot occur in a term (TOKEN excludes them); doubling them keeps this safe anyway.
  return terms.map((term) => `"${term.replaceAll('"', '""')}"*`).join(' ')
}
