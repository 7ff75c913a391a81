/**
 * The configured directory authorities, read from torrc `DirAuthority` lines:
 * `DirAuthority nickname [flags] [orport=N] [v3ident=HEX] address:dirport FINGERPRINT`
 * (the fingerprint may be split in groups of four).
 */
export interface DirectoryAuthority {
  readonly nickname: string
  readonly host: string
  readonly dirPort: number
  readonly orPort: number | undefined
  /** Hex SHA-1 of the authority's v3 identity key: which key certificates to trust. */
  readonly v3ident: string
  readonly fingerprint: string
}

export function parseDirAuthorityLine(line: string): DirectoryAuthority | undefined {
  const words = line.trim().split(/\s+/)
  if (words[0]?.toLowerCase() !== 'dirauthority' || words.length < 4) return undefined
  const nickname = words[1] ?? ''
  let orPort: number | undefined
  let v3ident: string | undefined
  let address: string | undefined
  const rest: string[] = []
  for (const word of words.slice(2)) {
    if (word.startsWith('orport=')) orPort = Number(word.slice(7))
    else if (word.startsWith('v3ident=')) v3ident = word.slice(8).toUpperCase()
    else if (address === undefined && /^[^=]+:\d+$/.test(word)) address = word
    else if (address !== undefined) rest.push(word)
  }
  const fingerprint = rest.join('').toUpperCase()
  const match = address === undefined ? null : /^(.+):(\d+)$/.exec(address)
  if (match === null || v3ident === undefined || !/^[0-9A-F]{40}$/.test(v3ident)) return undefined
  if (!/^[0-9A-F]{40}$/.test(fingerprint)) return undefined
  return { nickname, host: match[1] ?? '', dirPort: Number(match[2]), orPort, v3ident, fingerprint }
}

/** Every DirAuthority line of a file; other lines (comments, blanks) are skipped. */
export function parseAuthoritiesFile(text: string): DirectoryAuthority[] {
  return text.split('\n').flatMap((line) => {
    const authority = parseDirAuthorityLine(line)
    return authority === undefined ? [] : [authority]
  })
}
