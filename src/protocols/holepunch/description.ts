import { isIPv4, isValidPort } from '../../core/address.js'
import { fromUtf8Strict, utf8 } from '../../core/bytes.js'
import { err, ok, type Result } from '../../core/result.js'
import { parseCandidateLine } from './candidate-line.js'
import { candidatePriority, type Candidate, type CandidateType } from './candidate.js'

/**
 * What two agents exchange through the signalling channel before the checks (the ICE part of
 * an SDP offer/answer, RFC 8839, carried as JSON): the short-term credentials and the
 * candidates. The base of a remote candidate is not sent: only its type and address matter.
 */
export interface RemoteCandidate {
  readonly type: CandidateType
  readonly host: string
  readonly port: number
  readonly priority: number
  readonly foundation: string
}

export interface SessionDescription {
  /** ICE ufrag (4..256 characters) and password (22..256), RFC 8445 section 5.3. */
  readonly ufrag: string
  readonly pwd: string
  readonly candidates: readonly RemoteCandidate[]
  /** TCP candidates (RFC 6544) as RFC 8839 `candidate` lines with `tcptype` (candidate-line.ts). */
  readonly tcpCandidates?: readonly string[]
}

/** A signalling message: an offer from the controlling agent, an answer from the other. */
export interface SignalMessage {
  readonly kind: 'offer' | 'answer'
  readonly session: string
  readonly description: SessionDescription
}

export type SignalDecodeError = 'not_json' | 'bad_shape' | 'too_large'

export const SIGNAL_BYTES_MAX = 16_384
const CANDIDATES_MAX = 32
const TCP_CANDIDATES_MAX = 16
const TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay']
const PRIORITY_MAX = candidatePriority('host') + 1

export const encodeSignal = (message: SignalMessage): Uint8Array => utf8(JSON.stringify(message))

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isText = (value: unknown, min: number, max: number): value is string =>
  typeof value === 'string' && value.length >= min && value.length <= max

function candidateOf(value: unknown): RemoteCandidate | undefined {
  if (!isRecord(value)) return undefined
  const { type, host, port, priority, foundation } = value
  if (typeof type !== 'string' || !TYPES.includes(type as CandidateType)) return undefined
  if (typeof host !== 'string' || !isIPv4(host)) return undefined
  if (typeof port !== 'number' || !isValidPort(port) || port === 0) return undefined
  if (typeof priority !== 'number' || !Number.isInteger(priority)) return undefined
  if (priority < 1 || priority > PRIORITY_MAX) return undefined
  if (!isText(foundation, 1, 32)) return undefined
  return { type: type as CandidateType, host, port, priority, foundation }
}

/** Absent, or up to 16 lines that each parse as a TCP candidate. */
function tcpLinesOf(value: unknown): string[] | undefined | 'bad' {
  if (value === undefined) return undefined
  if (!Array.isArray(value) || value.length > TCP_CANDIDATES_MAX) return 'bad'
  const lines: string[] = []
  for (const line of value) {
    if (typeof line !== 'string' || parseCandidateLine(line) === undefined) return 'bad'
    lines.push(line)
  }
  return lines
}

/** Decodes and validates a signalling message; never throws. */
export function decodeSignal(bytes: Uint8Array): Result<SignalMessage, SignalDecodeError> {
  if (bytes.length > SIGNAL_BYTES_MAX) return err('too_large')
  const text = fromUtf8Strict(bytes)
  if (text === undefined) return err('not_json')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return err('not_json')
  }
  if (!isRecord(value)) return err('bad_shape')
  const { kind, session, description } = value
  if (kind !== 'offer' && kind !== 'answer') return err('bad_shape')
  if (!isText(session, 1, 64) || !isRecord(description)) return err('bad_shape')
  const { ufrag, pwd, candidates, tcpCandidates } = description
  if (!isText(ufrag, 4, 256) || !isText(pwd, 22, 256)) return err('bad_shape')
  if (!Array.isArray(candidates) || candidates.length > CANDIDATES_MAX) return err('bad_shape')
  const parsed = candidates.map(candidateOf)
  if (parsed.some((c) => c === undefined)) return err('bad_shape')
  const tcp = tcpLinesOf(tcpCandidates)
  if (tcp === 'bad') return err('bad_shape')
  const base = { ufrag, pwd, candidates: parsed as RemoteCandidate[] }
  return ok({
    kind,
    session,
    description: tcp === undefined ? base : { ...base, tcpCandidates: tcp },
  })
}

/** A remote candidate as the agent keeps it: reached from our host socket. */
export const candidateFromDescription = (c: RemoteCandidate): Candidate => ({
  type: c.type,
  address: { host: c.host, port: c.port },
  base: 'host',
  priority: c.priority,
  foundation: c.foundation,
})

/** A local candidate as the other agent will see it (its base stays ours). */
export const candidateToDescription = (c: Candidate): RemoteCandidate => ({
  type: c.type,
  host: c.address.host,
  port: c.address.port,
  priority: c.priority,
  foundation: c.foundation,
})
