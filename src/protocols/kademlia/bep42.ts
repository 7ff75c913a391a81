/**
 * BEP 42 (DHT security extension): a node id is tied to the node's external IP. The first 21
 * bits are those of crc32c(masked IP | r << 29) (IPv4; IPv6 masks 8 bytes and puts r at bit 5
 * of the first byte), and the last byte carries r, 0..7, in its low bits. Nodes on local
 * addresses are exempt: they cannot know a meaningful external address.
 */
import { ipToBytes } from '../../core/ip-bytes.js'
import { ID_BYTES, type Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import { writeIpv4Port } from './compact-nodes.js'
import { crc32c } from './crc32c.js'

const V4_MASK = [0x03, 0x0f, 0x3f, 0xff]
const V6_MASK = [0x01, 0x03, 0x07, 0x0f, 0x1f, 0x3f, 0x7f, 0xff]

const scratch = new Uint8Array(6)

/** IP bytes, with a fast path for dotted quads (checked for every node added to a table). */
function ipBytes(host: string): Uint8Array | undefined {
  if (!host.includes(':') && writeIpv4Port(host, 0, scratch, 0)) return scratch.slice(0, 4)
  return ipToBytes(host)
}

/** The crc32c BEP 42 derives from `ip` and `r`, or undefined when `host` is not an IP. */
function bep42Crc(host: string, r: number): number | undefined {
  const ip = ipBytes(host)
  if (ip === undefined) return undefined
  const mask = ip.length === 4 ? V4_MASK : V6_MASK
  const masked = new Uint8Array(mask.length)
  for (let i = 0; i < mask.length; i++) masked[i] = (ip[i] as number) & (mask[i] as number)
  masked[0] = (masked[0] as number) | ((r & 7) << 5)
  return crc32c(masked)
}

/**
 * True for addresses BEP 42 exempts: loopback, private (RFC 1918), link-local, and IPv6
 * unique-local / link-local / loopback.
 */
export function isLocalAddress(host: string): boolean {
  const ip = ipBytes(host)
  if (ip === undefined) return false
  const [a, b] = [ip[0] as number, ip[1] as number]
  if (ip.length === 4) {
    return (
      a === 10 ||
      a === 127 ||
      (a === 172 && (b & 0xf0) === 16) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      a === 0
    )
  }
  if (ip.every((byte, i) => (i < 15 ? byte === 0 : byte === 1))) return true // ::1
  if (ip.slice(0, 10).every((byte) => byte === 0) && ip[10] === 0xff && ip[11] === 0xff) {
    return isLocalAddress(`${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`)
  }
  return (a & 0xfe) === 0xfc || (a === 0xfe && (b & 0xc0) === 0x80)
}

/** A BEP 42-compliant id for `host`; random bits from `random`. */
export function bep42Id(host: string, random: Random): Id160 | undefined {
  const rand = random.int(256)
  const crc = bep42Crc(host, rand & 7)
  if (crc === undefined) return undefined
  const id = random.bytes(ID_BYTES) as Id160
  id[0] = (crc >>> 24) & 0xff
  id[1] = (crc >>> 16) & 0xff
  id[2] = ((crc >>> 8) & 0xf8) | ((id[2] as number) & 0x07)
  id[19] = rand
  return id
}

const ipv4 = new Uint8Array(6)
const maskedIpv4 = new Uint8Array(4)

/** bep42Valid for a dotted quad without allocating (every node a table takes is checked). */
function bep42ValidIpv4(id: Id160): boolean {
  const a = ipv4[0] as number
  const b = ipv4[1] as number
  const local =
    a === 10 ||
    a === 127 ||
    (a === 172 && (b & 0xf0) === 16) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254) ||
    a === 0
  if (local) return true
  for (let i = 0; i < 4; i++) maskedIpv4[i] = (ipv4[i] as number) & (V4_MASK[i] as number)
  maskedIpv4[0] = (maskedIpv4[0] as number) | (((id[19] as number) & 7) << 5)
  const crc = crc32c(maskedIpv4)
  return (
    id[0] === ((crc >>> 24) & 0xff) &&
    id[1] === ((crc >>> 16) & 0xff) &&
    ((id[2] as number) & 0xf8) === ((crc >>> 8) & 0xf8)
  )
}

/** True when `id` is valid for `host` under BEP 42, or `host` is exempt. */
export function bep42Valid(id: Id160, host: string): boolean {
  if (!host.includes(':') && writeIpv4Port(host, 0, ipv4, 0)) return bep42ValidIpv4(id)
  if (isLocalAddress(host)) return true
  const crc = bep42Crc(host, (id[19] as number) & 7)
  if (crc === undefined) return false
  return (
    id[0] === ((crc >>> 24) & 0xff) &&
    id[1] === ((crc >>> 16) & 0xff) &&
    ((id[2] as number) & 0xf8) === ((crc >>> 8) & 0xf8)
  )
}
