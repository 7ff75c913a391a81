/**
 * The API token travels in the URL fragment (`/#token=...`): browsers never send the fragment
 * to the server, so it stays out of request lines and logs. The page reads it once, keeps it in
 * sessionStorage, and removes it from the address bar.
 */

/** The token in a location hash such as "#token=abc" (other parameters allowed), if any. */
export function tokenFromFragment(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  const token = params.get('token')?.trim()
  return token === undefined || token === '' ? undefined : token
}

/** The hash without its token parameter ("" when nothing else was there). */
export function fragmentWithoutToken(hash: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''))
  params.delete('token')
  const rest = params.toString()
  return rest === '' ? '' : `#${rest}`
}
