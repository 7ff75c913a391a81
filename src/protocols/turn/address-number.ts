/**
 * A map key for a transport address that costs no string per datagram: an IPv4 address and
 * port as one number (address × 65,536 + port, below 2^48, so exact in a double); any other
 * host (IPv6) falls back to `addressKey`'s string. The TURN data path looks an allocation and
 * a channel up on every datagram; `addressKey` built, flattened and hashed a fresh string
 * each time (docs/benchmarks.md, relay CPU per round trip).
 */
import { addressKey, type Address } from '../../core/address.js'

export type AddressNumber = number | string

const DOT = 0x2e
const ZERO = 0x30

/** The dotted quad as an unsigned 32-bit number, or -1 when `host` is not one. */
export function ipv4Number(host: string): number {
  let value = 0
  let octet = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < host.length; i++) {
    const code = host.charCodeAt(i)
    if (code === DOT) {
      if (digits === 0 || dots === 3) return -1
      value = value * 256 + octet
      octet = 0
      digits = 0
      dots++
      continue
    }
    const digit = code - ZERO
    if (digit < 0 || digit > 9) return -1
    // no leading zeros ("01" is not the dotted quad of `isIPv4`), at most 255
    if (digits > 0 && octet === 0) return -1
    octet = octet * 10 + digit
    digits++
    if (octet > 255) return -1
  }
  if (digits === 0 || dots !== 3) return -1
  return value * 256 + octet
}

export function addressNumber(address: Address): AddressNumber {
  const v4 = ipv4Number(address.host)
  return v4 < 0 ? addressKey(address) : v4 * 65_536 + address.port
}
