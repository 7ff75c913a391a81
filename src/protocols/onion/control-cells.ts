/**
 * Bodies of the link-level cells of tor-spec §4-§5: VERSIONS, CERTS, AUTH_CHALLENGE,
 * NETINFO, CREATE2/CREATED2, CREATE_FAST/CREATED_FAST and DESTROY.
 */
import type { RemoteFault } from '../../core/errors.js'
import { err, ok, type Result } from '../../core/result.js'
import { ByteReader, ByteWriter } from './byte-reader.js'
import { malformed } from './cell.js'

type Decoded<T> = Result<T, RemoteFault>

const finish = <T>(reader: ByteReader, value: T, what: string): Decoded<T> =>
  reader.failed ? err(malformed(`${what} truncated`)) : ok(value)

// --- VERSIONS ----------------------------------------------------------------------------------

export const encodeVersions = (versions: readonly number[]): Uint8Array => {
  const writer = new ByteWriter()
  for (const version of versions) writer.u16(version)
  return writer.finish()
}

export function decodeVersions(payload: Uint8Array): Decoded<number[]> {
  if (payload.length % 2 !== 0) return err(malformed('VERSIONS of odd length'))
  const reader = new ByteReader(payload)
  const versions: number[] = []
  while (reader.remaining > 0) versions.push(reader.u16())
  return ok(versions)
}

// --- CERTS -------------------------------------------------------------------------------------

export const CertType = {
  LINK_X509: 1,
  RSA_ID_X509: 2,
  AUTH_X509: 3,
  IDENTITY_V_SIGNING: 4,
  SIGNING_V_TLS_CERT: 5,
  SIGNING_V_AUTH: 6,
  RSA_ID_V_IDENTITY: 7,
} as const

export interface CertEntry {
  readonly type: number
  readonly body: Uint8Array
}

export const encodeCerts = (certs: readonly CertEntry[]): Uint8Array => {
  const writer = new ByteWriter().u8(certs.length)
  for (const cert of certs) writer.u8(cert.type).u16(cert.body.length).bytes(cert.body)
  return writer.finish()
}

export function decodeCerts(payload: Uint8Array): Decoded<CertEntry[]> {
  const reader = new ByteReader(payload)
  const count = reader.u8()
  const certs: CertEntry[] = []
  for (let i = 0; i < count && !reader.failed; i++) {
    const type = reader.u8()
    const body = reader.take(reader.u16())
    certs.push({ type, body })
  }
  return finish(reader, certs, 'CERTS')
}

// --- AUTH_CHALLENGE ------------------------------------------------------------------------------

export interface AuthChallenge {
  readonly challenge: Uint8Array
  readonly methods: readonly number[]
}

export const encodeAuthChallenge = (challenge: AuthChallenge): Uint8Array => {
  const writer = new ByteWriter().bytes(challenge.challenge).u16(challenge.methods.length)
  for (const method of challenge.methods) writer.u16(method)
  return writer.finish()
}

export function decodeAuthChallenge(payload: Uint8Array): Decoded<AuthChallenge> {
  const reader = new ByteReader(payload)
  const challenge = reader.take(32)
  const count = reader.u16()
  const methods: number[] = []
  for (let i = 0; i < count && !reader.failed; i++) methods.push(reader.u16())
  return finish(reader, { challenge, methods }, 'AUTH_CHALLENGE')
}

// --- NETINFO -----------------------------------------------------------------------------------

/** A NETINFO address: type 4 (IPv4, 4 bytes) or 6 (IPv6, 16 bytes); others are kept opaque. */
export interface NetinfoAddress {
  readonly type: number
  readonly value: Uint8Array
}

export interface Netinfo {
  /** Seconds since the Unix epoch; a client may send 0. */
  readonly time: number
  readonly otherAddress: NetinfoAddress
  readonly myAddresses: readonly NetinfoAddress[]
}

const writeAddress = (writer: ByteWriter, address: NetinfoAddress): void => {
  writer.u8(address.type).u8(address.value.length).bytes(address.value)
}
const readAddress = (reader: ByteReader): NetinfoAddress => {
  const type = reader.u8()
  return { type, value: reader.take(reader.u8()) }
}

export const encodeNetinfo = (netinfo: Netinfo): Uint8Array => {
  const writer = new ByteWriter().u32(netinfo.time)
  writeAddress(writer, netinfo.otherAddress)
  writer.u8(netinfo.myAddresses.length)
  for (const address of netinfo.myAddresses) writeAddress(writer, address)
  return writer.finish()
}

export function decodeNetinfo(payload: Uint8Array): Decoded<Netinfo> {
  const reader = new ByteReader(payload)
  const time = reader.u32()
  const otherAddress = readAddress(reader)
  const count = reader.u8()
  const myAddresses: NetinfoAddress[] = []
  for (let i = 0; i < count && !reader.failed; i++) myAddresses.push(readAddress(reader))
  // The rest of a fixed cell is padding.
  return finish(reader, { time, otherAddress, myAddresses }, 'NETINFO')
}

// --- CREATE2 / CREATED2 / CREATE_FAST / CREATED_FAST / DESTROY ---------------------------------

export const HandshakeType = { TAP: 0, FAST: 1, NTOR: 2, NTOR_V3: 3 } as const

export interface Create2 {
  readonly handshakeType: number
  readonly handshakeData: Uint8Array
}

export const encodeCreate2 = (create: Create2): Uint8Array =>
  new ByteWriter()
    .u16(create.handshakeType)
    .u16(create.handshakeData.length)
    .bytes(create.handshakeData)
    .finish()

export function decodeCreate2(payload: Uint8Array): Decoded<Create2> {
  const reader = new ByteReader(payload)
  const handshakeType = reader.u16()
  const handshakeData = reader.take(reader.u16())
  return finish(reader, { handshakeType, handshakeData }, 'CREATE2')
}

export const encodeCreated2 = (handshakeData: Uint8Array): Uint8Array =>
  new ByteWriter().u16(handshakeData.length).bytes(handshakeData).finish()

export function decodeCreated2(payload: Uint8Array): Decoded<Uint8Array> {
  const reader = new ByteReader(payload)
  const data = reader.take(reader.u16())
  return finish(reader, data, 'CREATED2')
}

/** CREATE_FAST carries 20 bytes of key material X; CREATED_FAST carries Y and KH. */
export const CREATE_FAST_KEY_BYTES = 20

export function decodeCreateFast(payload: Uint8Array): Decoded<Uint8Array> {
  const reader = new ByteReader(payload)
  return finish(reader, reader.take(CREATE_FAST_KEY_BYTES), 'CREATE_FAST')
}

export interface CreatedFast {
  readonly keyMaterial: Uint8Array
  readonly derivativeKeyHash: Uint8Array
}

export const encodeCreatedFast = (created: CreatedFast): Uint8Array =>
  new ByteWriter().bytes(created.keyMaterial).bytes(created.derivativeKeyHash).finish()

export function decodeCreatedFast(payload: Uint8Array): Decoded<CreatedFast> {
  const reader = new ByteReader(payload)
  const keyMaterial = reader.take(CREATE_FAST_KEY_BYTES)
  const derivativeKeyHash = reader.take(20)
  return finish(reader, { keyMaterial, derivativeKeyHash }, 'CREATED_FAST')
}

/** DESTROY reasons (tor-spec §5.4), shared with TRUNCATED. */
export const DestroyReason = {
  NONE: 0,
  PROTOCOL: 1,
  INTERNAL: 2,
  REQUESTED: 3,
  HIBERNATING: 4,
  RESOURCELIMIT: 5,
  CONNECTFAILED: 6,
  OR_IDENTITY: 7,
  CHANNEL_CLOSED: 8,
  FINISHED: 9,
  TIMEOUT: 10,
  DESTROYED: 11,
  NOSUCHSERVICE: 12,
} as const

export function decodeDestroy(payload: Uint8Array): Decoded<number> {
  const reader = new ByteReader(payload)
  return finish(reader, reader.u8(), 'DESTROY')
}
