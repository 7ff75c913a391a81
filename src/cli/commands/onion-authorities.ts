/** `--authorities FILE` of the onion commands: torrc `DirAuthority` lines, read and checked. */
import { readFileSync } from 'node:fs'
import { parseAuthorities } from '../../drivers/onion/client.js'
import type { DirectoryAuthority } from '../../protocols/onion/directory/authorities.js'
import { usageError } from '../output.js'

export function readAuthoritiesFile(path: string): DirectoryAuthority[] {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw usageError(`cannot read --authorities ${path}: ${(error as Error).message}`)
  }
  const authorities = parseAuthorities(text)
  if (authorities.length === 0) throw usageError(`no DirAuthority lines in ${path}`)
  return authorities
}
