/**
 * Bodies of relay messages (tor-spec §6.2-§6.4, §5.1.2, §7): BEGIN, END, CONNECTED, SENDME
 * (v0 and v1), EXTEND2/EXTENDED2 with link specifiers, RESOLVE/RESOLVED, TRUNCATED.
 */
import { fromUtf8Strict, utf8 } from '../../core/bytes.js'
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { ByteReader, ByteWriter } from './byte-reader.js'
import { malformed } from './cell.js'

type Decoded<T> = Result<T, RemoteFault>
const finish = <T>(reader: ByteReader, value: T, what: string): Decoded<T> =>
  reader.failed ? err(malformed(`${what} truncated`)) : ok(value)

// --- BEGIN -------------------------------------------------------------------------------------

export interface Begin {
  readonly host: string
  readonly port: number
  readonly flags: number
}

export const encodeBegin = (begin: Begin): Uint8Array => {
  const host = begin.host.includes(':') ? `[${begin.host}]` : begin.host
  return new ByteWriter()
    .bytes(utf8(`${host}:${begin.port}`))
    .u8(0)
    .u32(begin.flags)
    .finish()
}

export function decodeBegin(data: Uint8Array): Decoded<Begin> {
  const nul = data.indexOf(0)
  if (nul < 0) return err(malformed('BEGIN without NUL'))
  const text = fromUtf8Strict(data.subarray(0, nul))
  const match = text === undefined ? null : /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(text)
  const port = match === null ? NaN : Number(match[2])
  if (match === null || !(port >= 1 && port <= 65535)) return err(malformed('BEGIN address'))
  const rawHost = match[1] ?? ''
  const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost
  const flagsReader = new ByteReader(data.subarray(nul + 1))
  const flags = flagsReader.remaining >= 4 ? flagsReader.u32() : 0
  return ok({ host, port, flags })
}

// --- END ---------------------------------------------------------------------------------------

export const EndReason = {
  MISC: 1,
  RESOLVEFAILED: 2,
  CONNECTREFUSED: 3,
  EXITPOLICY: 4,
  DESTROY: 5,
  DONE: 6,
  TIMEOUT: 7,
  NOROUTE: 8,
  HIBERNATING: 9,
  INTERNAL: 10,
  RESOURCELIMIT: 11,
  CONNRESET: 12,
  TORPROTOCOL: 13,
  NOTDIRECTORY: 14,
} as const

export const encodeEnd = (reason: number): Uint8Array => Uint8Array.of(reason)
/** An END with no body means MISC (tor-spec §6.3). */
export const decodeEnd = (data: Uint8Array): number => data[0] ?? EndReason.MISC

// --- CONNECTED ---------------------------------------------------------------------------------

export interface Connected {
  /** The exit's resolved address (4 or 16 bytes), absent in an empty CONNECTED. */
  readonly address?: Uint8Array
  readonly ttl?: number
}

export function encodeConnected(connected: Connected): Uint8Array {
  const writer = new ByteWriter()
  const { address, ttl = 0 } = connected
  if (address === undefined) return writer.finish()
  if (address.length === 4) return writer.bytes(address).u32(ttl).finish()
  return writer.u32(0).u8(6).bytes(address).u32(ttl).finish()
}

export function decodeConnected(data: Uint8Array): Decoded<Connected> {
  if (data.length === 0) return ok({})
  const reader = new ByteReader(data)
  const first = reader.take(4)
  if (first.some((byte) => byte !== 0))
    return finish(reader, { address: first, ttl: reader.u32() }, 'CONNECTED')
  if (reader.u8() !== 6) return err(malformed('CONNECTED address type'))
  const address = reader.take(16)
  return finish(reader, { address, ttl: reader.u32() }, 'CONNECTED')
}

// --- SENDME ------------------------------------------------------------------------------------

/** v0 has no authentication; v1 echoes the 20-byte digest of the cell that prompted it. */
export type Sendme = { readonly version: 0 } | { readonly version: 1; readonly digest: Uint8Array }

export function encodeSendme(sendme: Sendme): Uint8Array {
  if (sendme.version === 0) return new Uint8Array(0)
  return new ByteWriter().u8(1).u16(sendme.digest.length).bytes(sendme.digest).finish()
}

export function decodeSendme(data: Uint8Array): Decoded<Sendme> {
  if (data.length === 0) return ok({ version: 0 })
  const reader = new ByteReader(data)
  const version = reader.u8()
  if (version === 0) return ok({ version: 0 })
  if (version !== 1) return err(malformed(`SENDME version ${version}`))
  const digest = reader.take(reader.u16())
  if (digest.length !== 20) return err(malformed('SENDME v1 digest length'))
  return finish(reader, { version: 1, digest }, 'SENDME')
}

// --- link specifiers, EXTEND2, EXTENDED2 -------------------------------------------------------

export type LinkSpecifier =
  | { readonly type: 'ipv4'; readonly address: Uint8Array; readonly port: number }
  | { readonly type: 'ipv6'; readonly address: Uint8Array; readonly port: number }
  | { readonly type: 'legacy-id'; readonly rsaIdDigest: Uint8Array }
  | { readonly type: 'ed25519-id'; readonly key: Uint8Array }
  | { readonly type: 'unknown'; readonly code: number; readonly body: Uint8Array }

const LINK_SPEC_CODE = { ipv4: 0, ipv6: 1, 'legacy-id': 2, 'ed25519-id': 3 } as const

function encodeLinkSpecifier(writer: ByteWriter, spec: LinkSpecifier): void {
  switch (spec.type) {
    case 'ipv4':
    case 'ipv6': {
      const body = new ByteWriter().bytes(spec.address).u16(spec.port).finish()
      writer.u8(LINK_SPEC_CODE[spec.type]).u8(body.length).bytes(body)
      return
    }
    case 'legacy-id':
      writer.u8(2).u8(20).bytes(spec.rsaIdDigest)
      return
    case 'ed25519-id':
      writer.u8(3).u8(32).bytes(spec.key)
      return
    case 'unknown':
      writer.u8(spec.code).u8(spec.body.length).bytes(spec.body)
  }
}

function decodeLinkSpecifier(code: number, body: Uint8Array): Decoded<LinkSpecifier> {
  const reader = new ByteReader(body)
  const exact = (length: number): boolean => body.length === length
  switch (code) {
    case 0:
      if (!exact(6)) return err(malformed('IPv4 link specifier length'))
      return ok({ type: 'ipv4', address: reader.take(4), port: reader.u16() })
    case 1:
      if (!exact(18)) return err(malformed('IPv6 link specifier length'))
      return ok({ type: 'ipv6', address: reader.take(16), port: reader.u16() })
    case 2:
      if (!exact(20)) return err(malformed('legacy id link specifier length'))
      return ok({ type: 'legacy-id', rsaIdDigest: body })
    case 3:
      if (!exact(32)) return err(malformed('ed25519 link specifier length'))
      return ok({ type: 'ed25519-id', key: body })
    default:
      return ok({ type: 'unknown', code, body })
  }
}

export interface Extend2 {
  readonly linkSpecifiers: readonly LinkSpecifier[]
  readonly handshakeType: number
  readonly handshakeData: Uint8Array
}

export function encodeExtend2(extend: Extend2): Uint8Array {
  const writer = new ByteWriter().u8(extend.linkSpecifiers.length)
  for (const spec of extend.linkSpecifiers) encodeLinkSpecifier(writer, spec)
  return writer
    .u16(extend.handshakeType)
    .u16(extend.handshakeData.length)
    .bytes(extend.handshakeData)
    .finish()
}

export function decodeExtend2(data: Uint8Array): Decoded<Extend2> {
  const reader = new ByteReader(data)
  const count = reader.u8()
  const linkSpecifiers: LinkSpecifier[] = []
  for (let i = 0; i < count && !reader.failed; i++) {
    const code = reader.u8()
    const body = reader.take(reader.u8())
    if (reader.failed) break
    const spec = decodeLinkSpecifier(code, body)
    if (!spec.ok) return spec
    linkSpecifiers.push(spec.value)
  }
  const handshakeType = reader.u16()
  const handshakeData = reader.take(reader.u16())
  return finish(reader, { linkSpecifiers, handshakeType, handshakeData }, 'EXTEND2')
}

/** EXTENDED2's body is CREATED2's: a length-prefixed handshake reply. */
export const encodeExtended2 = (handshakeData: Uint8Array): Uint8Array =>
  new ByteWriter().u16(handshakeData.length).bytes(handshakeData).finish()

export function decodeExtended2(data: Uint8Array): Decoded<Uint8Array> {
  const reader = new ByteReader(data)
  const reply = reader.take(reader.u16())
  return finish(reader, reply, 'EXTENDED2')
}

// --- RESOLVE / RESOLVED ------------------------------------------------------------------------

export const encodeResolve = (hostname: string): Uint8Array =>
  new ByteWriter().bytes(utf8(hostname)).u8(0).finish()

export function decodeResolve(data: Uint8Array): Decoded<string> {
  const nul = data.indexOf(0)
  const name = nul < 0 ? undefined : fromUtf8Strict(data.subarray(0, nul))
  return name === undefined || name.length === 0 ? err(malformed('RESOLVE name')) : ok(name)
}

export type ResolvedAnswer =
  | { readonly type: 'ipv4' | 'ipv6'; readonly address: Uint8Array; readonly ttl: number }
  | { readonly type: 'hostname'; readonly hostname: string; readonly ttl: number }
  | { readonly type: 'error'; readonly code: number; readonly ttl: number }

export function encodeResolved(answers: readonly ResolvedAnswer[]): Uint8Array {
  const writer = new ByteWriter()
  for (const answer of answers) {
    if (answer.type === 'hostname') {
      const name = utf8(answer.hostname)
      writer.u8(0).u8(name.length).bytes(name)
    } else if (answer.type === 'error') writer.u8(answer.code).u8(0)
    else
      writer
        .u8(answer.type === 'ipv4' ? 4 : 6)
        .u8(answer.address.length)
        .bytes(answer.address)
    writer.u32(answer.ttl)
  }
  return writer.finish()
}

export function decodeResolved(data: Uint8Array): Decoded<ResolvedAnswer[]> {
  const reader = new ByteReader(data)
  const answers: ResolvedAnswer[] = []
  while (reader.remaining > 0 && !reader.failed) {
    const type = reader.u8()
    const value = reader.take(reader.u8())
    const ttl = reader.u32()
    if (reader.failed) break
    if (type === 4 && value.length === 4) answers.push({ type: 'ipv4', address: value, ttl })
    else if (type === 6 && value.length === 16) answers.push({ type: 'ipv6', address: value, ttl })
    else if (type === 0) {
      const hostname = fromUtf8Strict(value)
      if (hostname === undefined) return err(malformed('RESOLVED hostname'))
      answers.push({ type: 'hostname', hostname, ttl })
    } else if (type === 0xf0 || type === 0xf1) answers.push({ type: 'error', code: type, ttl })
    else return err(malformed(`RESOLVED answer type ${type}`))
  }
  return finish(reader, answers, 'RESOLVED')
}

// --- TRUNCATE / TRUNCATED ----------------------------------------------------------------------

/** TRUNCATE has an empty body; TRUNCATED carries one DESTROY reason byte. */
export const encodeTruncated = (reason: number): Uint8Array => Uint8Array.of(reason)
export const decodeTruncated = (data: Uint8Array): number => data[0] ?? 0
