/**
 * Who may connect to whom, as pure functions of our role, our slot counts and the peer's
 * headers (Ultrapeers 1.0, section 3): an ultrapeer takes leaves (X-Ultrapeer: False) up to
 * `leavesMax` and ultrapeers up to `ultrapeersMax`; a leaf takes no incoming connections and
 * keeps only ultrapeers; a flat peer takes peers up to `peersMax`. A refusal is a 503 with
 * X-Try-Ultrapeers so the refused host has somewhere else to go.
 */
import { addressKey, type Address } from '../../core/address.js'
import type { Role, ServentConfig } from './config.js'
import type { GnutellaHeaders, Handshake } from './handshake.js'

export interface SlotCounts {
  readonly peers: number
  readonly ultrapeers: number
  readonly leaves: number
}

export const VERSION = '0.6'

/** `remote`: where we see the peer, told to it as `Remote-IP` (its address discovery). */
function baseHeaders(config: ServentConfig, remote: Address): [string, string][] {
  const headers: [string, string][] = [
    ['User-Agent', config.userAgent],
    ['Listen-IP', addressKey(config.advertised)],
    ['Remote-IP', remote.host],
    // We speak vendor messages: the peer may send its Messages Supported (and we ours).
    ['Vendor-Message', '0.1'],
  ]
  if (config.role !== 'peer') {
    headers.push(['X-Ultrapeer', config.role === 'ultrapeer' ? 'True' : 'False'])
    headers.push(['X-Query-Routing', '0.1'])
  }
  return headers
}

export function connectHandshake(config: ServentConfig, remote: Address): Handshake {
  return { start: { kind: 'connect', version: VERSION }, headers: baseHeaders(config, remote) }
}

/** The role the remote plays for us, from its X-Ultrapeer header. */
export function remoteRole(ourRole: Role, headers: GnutellaHeaders): Role {
  if (ourRole === 'peer') return 'peer'
  return headers.ultrapeer === true ? 'ultrapeer' : 'leaf'
}

/** Whether we take an incoming connection from a servent playing `role`. */
export function acceptIncoming(config: ServentConfig, role: Role, slots: SlotCounts): boolean {
  switch (config.role) {
    case 'peer':
      return slots.peers < config.peersMax
    case 'leaf':
      return false
    case 'ultrapeer':
      return role === 'leaf'
        ? slots.leaves < config.leavesMax
        : slots.ultrapeers < config.ultrapeersMax
  }
}

export function acceptResponse(
  config: ServentConfig,
  slots: SlotCounts,
  remote: Address,
): Handshake {
  const headers = baseHeaders(config, remote)
  if (config.role === 'ultrapeer') {
    // Ask leaves to stay leaves while we have room for them (Ultrapeers 1.0, 3.3).
    const needed = slots.ultrapeers < Math.floor(config.ultrapeersMax / 2)
    headers.push(['X-Ultrapeer-Needed', needed ? 'True' : 'False'])
  }
  return { start: { kind: 'status', version: VERSION, code: 200, reason: 'OK' }, headers }
}

export function refuseResponse(
  config: ServentConfig,
  tryUltrapeers: readonly Address[],
  remote: Address,
): Handshake {
  const headers = baseHeaders(config, remote)
  if (tryUltrapeers.length > 0) {
    headers.push(['X-Try-Ultrapeers', tryUltrapeers.map((a) => addressKey(a)).join(',')])
  }
  return {
    start: { kind: 'status', version: VERSION, code: 503, reason: 'Service unavailable' },
    headers,
  }
}

export function finalResponse(config: ServentConfig): Handshake {
  return {
    start: { kind: 'status', version: VERSION, code: 200, reason: 'OK' },
    headers:
      config.role === 'peer'
        ? []
        : [['X-Ultrapeer', config.role === 'ultrapeer' ? 'True' : 'False']],
  }
}

/** Whether the outbound side keeps a connection the remote accepted. */
export function keepOutbound(config: ServentConfig, role: Role, slots: SlotCounts): boolean {
  switch (config.role) {
    case 'peer':
      return slots.peers < config.peersMax
    case 'leaf':
      return role === 'ultrapeer'
    case 'ultrapeer':
      return role === 'ultrapeer'
        ? slots.ultrapeers < config.ultrapeersMax
        : slots.leaves < config.leavesMax
  }
}
