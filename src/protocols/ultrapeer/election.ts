/**
 * Ultrapeer election ("Ultrapeers: another step towards Gnutella scalability", Singla and
 * Rohrs, section 3.2): a servent may become an ultrapeer only if it is reachable (it has
 * accepted an incoming TCP connection: not firewalled), has been up long enough to be a stable
 * hub, and has the bandwidth measured to carry leaves' traffic; it does become one when it is
 * capable and the network asks for ultrapeers (no ultrapeer known, or an ultrapeer said
 * `X-Ultrapeer-Needed: True`). A capable ultrapeer stays one here; an under-used one demotes
 * itself (demotion.ts), after which this election holds it a leaf for `repromoteHoldMs`
 * (hysteresis: the handshake's X-Ultrapeer-Needed alone would promote it straight back).
 * Pure: every measurement is an input.
 */
import type { Role } from '../gnutella/config.js'

export interface ElectionThresholds {
  /** Uptime before a servent counts as stable (the document suggests hours; LimeWire 1 h). */
  readonly uptimeMinMs: number
  /** Measured peak rates, bytes per second (LimeWire: 10 KB/s up, 20 KB/s down). */
  readonly uploadBytesPerSecondMin: number
  readonly downloadBytesPerSecondMin: number
  /**
   * After an automatic demotion (demotion.ts), how long a capable leaf stays a leaf even when
   * asked for ultrapeers: the hysteresis that keeps it from flapping (default 60 min).
   */
  readonly repromoteHoldMs?: number
}

export const DEFAULT_REPROMOTE_HOLD_MS = 60 * 60_000

export const DEFAULT_ELECTION: ElectionThresholds = {
  uptimeMinMs: 60 * 60_000,
  uploadBytesPerSecondMin: 10_000,
  downloadBytesPerSecondMin: 20_000,
}

export interface ElectionInputs {
  readonly role: 'ultrapeer' | 'leaf'
  readonly uptimeMs: number
  /** Peak measured rates, bytes per second. */
  readonly uploadBytesPerSecond: number
  readonly downloadBytesPerSecond: number
  /** An incoming TCP connection was accepted (we are not behind a firewall or NAT). */
  readonly reachable: boolean
  /** Ultrapeers we are connected to or know of (none: the network has no hub but us). */
  readonly ultrapeersKnown: number
  /** An ultrapeer answered our handshake with `X-Ultrapeer-Needed: True`. */
  readonly ultrapeerNeeded: boolean
  /** Time since we demoted ourselves, if we did. */
  readonly demotedAgoMs?: number | undefined
}

export type ElectionReason =
  | 'unreachable'
  | 'young'
  | 'slow'
  | 'no_ultrapeer_known'
  | 'ultrapeer_needed'
  | 'not_needed'
  | 'keeps_role'
  | 'recently_demoted'

export interface Election {
  readonly role: Extract<Role, 'ultrapeer' | 'leaf'>
  /** Ultrapeer-capable by the measurements alone. */
  readonly capable: boolean
  readonly reason: ElectionReason
}

/** Why a servent is not ultrapeer-capable, or undefined when it is. */
export function incapability(
  inputs: ElectionInputs,
  t: ElectionThresholds = DEFAULT_ELECTION,
): 'unreachable' | 'young' | 'slow' | undefined {
  if (!inputs.reachable) return 'unreachable'
  if (inputs.uptimeMs < t.uptimeMinMs) return 'young'
  if (
    inputs.uploadBytesPerSecond < t.uploadBytesPerSecondMin ||
    inputs.downloadBytesPerSecond < t.downloadBytesPerSecondMin
  )
    return 'slow'
  return undefined
}

export function elect(inputs: ElectionInputs, t: ElectionThresholds = DEFAULT_ELECTION): Election {
  const why = incapability(inputs, t)
  // Nobody else to join: the first servent of a network is its hub, measured or not.
  if (inputs.ultrapeersKnown === 0 && inputs.role === 'ultrapeer')
    return { role: 'ultrapeer', capable: why === undefined, reason: 'no_ultrapeer_known' }
  if (why !== undefined) return { role: 'leaf', capable: false, reason: why }
  if (inputs.role === 'ultrapeer') return { role: 'ultrapeer', capable: true, reason: 'keeps_role' }
  if (inputs.ultrapeersKnown === 0)
    return { role: 'ultrapeer', capable: true, reason: 'no_ultrapeer_known' }
  const hold = t.repromoteHoldMs ?? DEFAULT_REPROMOTE_HOLD_MS
  if (inputs.demotedAgoMs !== undefined && inputs.demotedAgoMs < hold)
    return { role: 'leaf', capable: true, reason: 'recently_demoted' }
  if (inputs.ultrapeerNeeded)
    return { role: 'ultrapeer', capable: true, reason: 'ultrapeer_needed' }
  return { role: 'leaf', capable: true, reason: 'not_needed' }
}
