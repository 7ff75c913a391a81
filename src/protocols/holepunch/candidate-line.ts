import { isIPv4, isValidPort } from '../../core/address.js'
import { ACTIVE_PORT, TCP_TYPES, type TcpCandidate, type TcpType } from './tcp-candidates.js'

/**
 * TCP candidates on the signalling channel as RFC 8839 `candidate` attribute values with RFC
 * 6544's `tcptype` extension (section 4.5), the way an SDP offer carries them:
 *
 *     candidate:host-tcp-active 1 TCP 2128609535 192.0.2.7 9 typ host tcptype active
 *
 * foundation, component id (always 1: one component), transport, priority, address, port,
 * `typ` and the type, then `tcptype`. An active candidate's port is 9 (it never listens).
 * The UDP candidates stay in the JSON fields they always had, so older peers still parse us.
 */
const TYPES: readonly TcpCandidate['type'][] = ['host', 'srflx', 'prflx']
const FOUNDATION = /^[A-Za-z0-9+/-]{1,32}$/
/** The largest priority RFC 8445's formula gives (type preference 126, component 1). */
const PRIORITY_MAX = 126 * 2 ** 24 + 65535 * 2 ** 8 + 255

export function formatCandidateLine(c: TcpCandidate): string {
  const port = c.tcpType === 'active' ? ACTIVE_PORT : c.address.port
  return (
    `candidate:${c.foundation} 1 TCP ${c.priority} ${c.address.host} ${port}` +
    ` typ ${c.type} tcptype ${c.tcpType}`
  )
}

/** Parses one line; undefined for anything that is not a valid IPv4 TCP candidate. */
export function parseCandidateLine(line: string): TcpCandidate | undefined {
  if (line.length > 256) return undefined
  const fields = line.split(' ')
  if (fields.length !== 10) return undefined
  const [head, component, transport, priorityText, host, portText, typ, type, key, tcpType] = fields
  if (head === undefined || !head.startsWith('candidate:')) return undefined
  const foundation = head.slice('candidate:'.length)
  if (!FOUNDATION.test(foundation) || component !== '1') return undefined
  if (transport?.toUpperCase() !== 'TCP' || typ !== 'typ' || key !== 'tcptype') return undefined
  if (!TYPES.includes(type as TcpCandidate['type'])) return undefined
  if (!TCP_TYPES.includes(tcpType as TcpType)) return undefined
  if (host === undefined || !isIPv4(host)) return undefined
  const priority = decimal(priorityText)
  const port = decimal(portText)
  if (priority === undefined || priority < 1 || priority > PRIORITY_MAX) return undefined
  if (port === undefined || !isValidPort(port) || port === 0) return undefined
  return {
    type: type as TcpCandidate['type'],
    tcpType: tcpType as TcpType,
    address: { host, port },
    priority,
    foundation,
  }
}

function decimal(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) return undefined
  return Number(text)
}
