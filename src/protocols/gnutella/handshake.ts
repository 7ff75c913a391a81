/**
 * The Gnutella 0.6 handshake (GDF 0.6 section 2.1; Ultrapeers 1.0 section 3): three blocks of
 * CRLF-terminated lines, each ending with an empty line.
 *
 *   client: GNUTELLA CONNECT/0.6   + headers
 *   server: GNUTELLA/0.6 200 OK    + headers   (or 503 with X-Try-Ultrapeers)
 *   client: GNUTELLA/0.6 200 OK    + headers
 *
 * Header names are case-insensitive; a line starting with a space or tab continues the
 * previous header. Hard limits bound what a peer can make us buffer before the binary stream.
 */
import { parseAddress, type Address } from '../../core/address.js'
import { NEED_DATA, type NeedData } from '../../core/core.js'
import { fromUtf8, utf8 } from '../../core/bytes.js'
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'

export const HANDSHAKE_BYTES_MAX = 4096
export const HANDSHAKE_HEADERS_MAX = 64
export const HANDSHAKE_LINE_BYTES_MAX = 1024
export const TRY_ULTRAPEERS_MAX = 20

export type HandshakeStart =
  | { readonly kind: 'connect'; readonly version: string }
  | {
      readonly kind: 'status'
      readonly version: string
      readonly code: number
      readonly reason: string
    }

export interface Handshake {
  readonly start: HandshakeStart
  /** In arrival order, names as sent. */
  readonly headers: readonly (readonly [string, string])[]
}

const CONNECT = /^GNUTELLA CONNECT\/(\d+\.\d+)$/
const STATUS = /^GNUTELLA\/(\d+\.\d+) (\d{3})(?: (.*))?$/
const HEADER = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*)$/

const malformed = (detail: string): RemoteFault => ({ code: 'malformed', detail })

function parseStart(line: string): HandshakeStart | undefined {
  const connect = CONNECT.exec(line)
  if (connect !== null) return { kind: 'connect', version: connect[1] as string }
  const status = STATUS.exec(line)
  if (status === null) return undefined
  return {
    kind: 'status',
    version: status[1] as string,
    code: Number(status[2]),
    reason: status[3] ?? '',
  }
}

/** Where the block ends (index after the empty line), or -1 when it has not arrived yet. */
function blockEnd(bytes: Uint8Array, limit: number): number {
  for (let i = 0; i < limit; i++) {
    if (bytes[i] !== 0x0a) continue
    if (bytes[i + 1] === 0x0a) return i + 2
    if (bytes[i + 1] === 0x0d && bytes[i + 2] === 0x0a) return i + 3
  }
  return -1
}

function parseLines(lines: string[]): Result<Handshake, RemoteFault> {
  const start = parseStart(lines[0] ?? '')
  if (start === undefined) return err(malformed('not a Gnutella handshake line'))
  const headers: [string, string][] = []
  for (const line of lines.slice(1)) {
    if (line.length > HANDSHAKE_LINE_BYTES_MAX) return err(malformed('handshake line too long'))
    const last = headers[headers.length - 1]
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      last[1] = `${last[1]} ${line.trim()}`
      continue
    }
    const match = HEADER.exec(line)
    if (match === null) return err(malformed('bad handshake header line'))
    if (headers.length >= HANDSHAKE_HEADERS_MAX) {
      return err({ code: 'limit_exceeded', detail: 'too many handshake headers' })
    }
    headers.push([match[1] as string, (match[2] as string).trim()])
  }
  return ok({ start, headers })
}

/**
 * Parses one handshake block from the front of `bytes`. Returns the block and the bytes it
 * used (binary descriptors may follow in the same chunk), or NEED_DATA.
 */
export function parseHandshake(
  bytes: Uint8Array,
): Result<{ handshake: Handshake; consumed: number } | NeedData, RemoteFault> {
  const limit = Math.min(bytes.length, HANDSHAKE_BYTES_MAX)
  const end = blockEnd(bytes, limit)
  if (end < 0) {
    if (bytes.length >= HANDSHAKE_BYTES_MAX) {
      return err({ code: 'limit_exceeded', detail: 'handshake block too long' })
    }
    return ok(NEED_DATA)
  }
  const text = fromUtf8(bytes.subarray(0, end))
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop()
  const parsed = parseLines(lines)
  return parsed.ok ? ok({ handshake: parsed.value, consumed: end }) : parsed
}

export function serializeHandshake(handshake: Handshake): Uint8Array {
  const s = handshake.start
  const first =
    s.kind === 'connect'
      ? `GNUTELLA CONNECT/${s.version}`
      : `GNUTELLA/${s.version} ${s.code}${s.reason === '' ? '' : ` ${s.reason}`}`
  const lines = [first, ...handshake.headers.map(([name, value]) => `${name}: ${value}`)]
  return utf8(`${lines.join('\r\n')}\r\n\r\n`)
}

/** A header's value (case-insensitive name); repeated headers are joined with ",". */
export function headerValue(handshake: Handshake, name: string): string | undefined {
  const wanted = name.toLowerCase()
  const values = handshake.headers.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v)
  return values.length === 0 ? undefined : values.join(',')
}

function booleanHeader(handshake: Handshake, name: string): boolean | undefined {
  const value = headerValue(handshake, name)?.trim().toLowerCase()
  return value === 'true' ? true : value === 'false' ? false : undefined
}

/** The 0.6 / ultrapeer headers that steer a connection, read leniently. */
export interface GnutellaHeaders {
  readonly userAgent: string | undefined
  readonly ultrapeer: boolean | undefined
  readonly ultrapeerNeeded: boolean | undefined
  readonly queryRouting: string | undefined
  readonly tryUltrapeers: readonly Address[]
  /** `Remote-IP`: the IPv4 address the peer sees us at (external address discovery). */
  readonly remoteIp: string | undefined
  /** `Vendor-Message`: the peer speaks vendor messages (then Messages Supported follows). */
  readonly vendorMessages: boolean
}

export function readGnutellaHeaders(handshake: Handshake): GnutellaHeaders {
  const tryList = (headerValue(handshake, 'X-Try-Ultrapeers') ?? '')
    .split(',')
    .map((entry) => parseAddress(entry.trim().split(' ')[0] ?? ''))
    .filter((a): a is Address => a !== undefined)
    .slice(0, TRY_ULTRAPEERS_MAX)
  return {
    userAgent: headerValue(handshake, 'User-Agent'),
    ultrapeer: booleanHeader(handshake, 'X-Ultrapeer'),
    ultrapeerNeeded: booleanHeader(handshake, 'X-Ultrapeer-Needed'),
    queryRouting: headerValue(handshake, 'X-Query-Routing'),
    tryUltrapeers: tryList,
    remoteIp: ipv4Header(headerValue(handshake, 'Remote-IP')),
    vendorMessages: headerValue(handshake, 'Vendor-Message') !== undefined,
  }
}

/** A header holding one dotted IPv4 address (a repeated header is refused). */
function ipv4Header(value: string | undefined): string | undefined {
  const text = value?.trim()
  if (text === undefined || !/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return undefined
  return text.split('.').every((part) => Number(part) <= 255) ? text : undefined
}
