import { fragmentWithoutToken, tokenFromFragment } from '../model/token.js'

const KEY = 'plexus-token'

/**
 * The token from the URL fragment (then removed from the address bar, kept for reloads in
 * sessionStorage, which ends with the tab), or the one kept earlier.
 */
export function takeToken(): string | undefined {
  const fromUrl = tokenFromFragment(location.hash)
  if (fromUrl !== undefined) {
    sessionStorage.setItem(KEY, fromUrl)
    history.replaceState(null, '', `${location.pathname}${fragmentWithoutToken(location.hash)}`)
    return fromUrl
  }
  return sessionStorage.getItem(KEY) ?? undefined
}

export function forgetToken(): void {
  sessionStorage.removeItem(KEY)
}
