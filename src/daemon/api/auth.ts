import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Both sides are hashed first so
 * that timingSafeEqual compares equal lengths and the time taken says nothing about the token,
 * not even its length.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false
  const match = /^Bearer +(\S+) *$/i.exec(header)
  if (match === null) return false
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest()
  return timingSafeEqual(digest(match[1] as string), digest(token))
}
