/**
 * Which peer addresses a relay may send to: an allow list of CIDR prefixes, minus a deny list,
 * checked on every CreatePermission, ChannelBind and relayed datagram. Without it a relay is
 * an open proxy to the operator's internal network (RFC 8656 section 21.3). The default allows
 * loopback only; `publicInternet` allows every IPv4 address but the special and private ones.
 */
import { ipToBytes } from '../../core/ip-bytes.js'

const VERDICTS_MAX = 4096

interface Prefix {
  readonly bytes: Uint8Array
  readonly bits: number
}

/**
 * IPv4 ranges a relay serving strangers must never reach (RFC 6890's special-purpose and
 * RFC 1918's private ones): its own host's loopback, the operator's network, multicast.
 */
export const NOT_PUBLIC_IPV4: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/3',
]

export class PeerPolicy {
  private readonly prefixes: readonly Prefix[]
  private readonly denied: readonly Prefix[]

  /**
   * `allow`: CIDR strings ("127.0.0.0/8", "10.1.0.0/16", "::1/128"); a bare IP is a /32 or
   * /128. `deny`: prefixes refused even inside an allowed one.
   */
  constructor(
    readonly allow: readonly string[],
    readonly deny: readonly string[] = [],
  ) {
    this.prefixes = allow.map(parsePrefix)
    this.denied = deny.map(parsePrefix)
  }

  static loopbackOnly(): PeerPolicy {
    return new PeerPolicy(['127.0.0.0/8', '::1/128'])
  }

  /** Every IPv4 address but the special and private ones (NOT_PUBLIC_IPV4). */
  static publicInternet(): PeerPolicy {
    return new PeerPolicy(['0.0.0.0/0'], NOT_PUBLIC_IPV4)
  }

  /** Verdicts by host: the relay asks on every datagram, and parsing the text each time shows. */
  private readonly verdicts = new Map<string, boolean>()

  allows(host: string): boolean {
    const known = this.verdicts.get(host)
    if (known !== undefined) return known
    const bytes = ipToBytes(host)
    const verdict =
      bytes !== undefined &&
      this.prefixes.some((prefix) => matches(prefix, bytes)) &&
      !this.denied.some((prefix) => matches(prefix, bytes))
    if (this.verdicts.size >= VERDICTS_MAX) this.verdicts.clear()
    this.verdicts.set(host, verdict)
    return verdict
  }
}

function parsePrefix(text: string): Prefix {
  const [host, bitsText] = text.split('/')
  const bytes = ipToBytes(host ?? '')
  if (bytes === undefined) throw new RangeError(`not a CIDR prefix: ${text}`)
  const bits = bitsText === undefined ? bytes.length * 8 : Number(bitsText)
  if (!Number.isInteger(bits) || bits < 0 || bits > bytes.length * 8) {
    throw new RangeError(`not a CIDR prefix: ${text}`)
  }
  return { bytes, bits }
}

function matches(prefix: Prefix, bytes: Uint8Array): boolean {
  if (prefix.bytes.length !== bytes.length) return false
  const whole = Math.floor(prefix.bits / 8)
  for (let i = 0; i < whole; i++) if (prefix.bytes[i] !== bytes[i]) return false
  const rest = prefix.bits % 8
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((prefix.bytes[whole] as number) & mask) === ((bytes[whole] as number) & mask)
}
