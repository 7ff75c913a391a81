/**
 * Checkers the simulator runs on `SwarmCore.inspect()` snapshots (B6). Each returns the
 * problems found, empty when all is well:
 * - every piece we have was confirmed by `pieceVerified(ok = true)` (or given at start);
 * - we never request from a peer that chokes us outside its allowed-fast set, and a choke
 *   without BEP 6 leaves no request outstanding;
 * - request counts stay within their bounds, and our per-peer request sets agree with the
 *   picker's;
 * - no connection to a banned host;
 * - the picker's own bookkeeping is consistent and its availability matches the peers'.
 */
import { checkAvailability, checkPickerConsistency } from '../picker/index.js'
import type { SwarmView } from './view.js'

export function checkSwarm(view: SwarmView, name = 'swarm'): string[] {
  const problems: string[] = []
  const { config } = view
  for (let piece = view.have.nextSet(0); piece !== -1; piece = view.have.nextSet(piece + 1)) {
    if (!view.confirmed.get(piece)) problems.push(`${name}: piece ${piece} verified unconfirmed`)
  }
  const banned = new Set(view.bannedHosts)
  let unchoked = 0
  for (const peer of view.peers) {
    const label = `${name} -> ${peer.address.host}:${peer.address.port} #${peer.connection}`
    if (banned.has(peer.address.host)) problems.push(`${label}: connected to a banned host`)
    if (peer.phase !== 'open') continue
    if (!peer.amChoking) unchoked++
    if (peer.requestsWhileChoked > 0) {
      problems.push(`${label}: ${peer.requestsWhileChoked} requests while choked`)
    }
    if (peer.peerChoking && !peer.fast && peer.outstandingRequests > 0) {
      problems.push(`${label}: ${peer.outstandingRequests} requests survive a BEP 3 choke`)
    }
    if (peer.outstandingRequests > config.requestsPerPeerMax) {
      problems.push(`${label}: ${peer.outstandingRequests} requests outstanding`)
    }
    if (peer.outstandingRequests !== peer.pickerOutstandingRequests) {
      problems.push(
        `${label}: ${peer.outstandingRequests} requests, picker says ` +
          `${peer.pickerOutstandingRequests}`,
      )
    }
    if (peer.uploadQueued + peer.uploadReading > config.peerRequestsMax) {
      problems.push(`${label}: ${peer.uploadQueued + peer.uploadReading} requests queued`)
    }
    if (peer.uploadReading > config.uploadReadsPerPeerMax) {
      problems.push(`${label}: ${peer.uploadReading} reads in flight`)
    }
  }
  if (unchoked !== view.unchoked) {
    problems.push(`${name}: ${unchoked} peers unchoked, choking counts ${view.unchoked}`)
  }
  const open = view.peers.filter((p) => p.phase === 'open').map((p) => p.has)
  for (const problem of checkPickerConsistency(view.picker)) problems.push(`${name}: ${problem}`)
  for (const problem of checkAvailability(view.picker, open)) problems.push(`${name}: ${problem}`)
  return problems
}
