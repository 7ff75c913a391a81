import type { Address } from '../../core/address.js'
import type { CandidateType } from './candidate.js'
import type { SessionDescription } from './description.js'
import type { TcpOutput } from './tcp-leg.js'

/** What the agent reports once a pair is selected: the "direct vs relayed" decision and its cost. */
export interface ConnectionReport {
  readonly role: 'controlling' | 'controlled'
  readonly path: 'direct' | 'relayed'
  /** UDP datagrams, or RFC 4571 frames on a TCP connection (RFC 6544). */
  readonly transport: 'udp' | 'tcp'
  readonly localType: CandidateType
  readonly remoteType: CandidateType
  readonly remote: Address
  /** Connectivity-check transmissions (all pairs, retransmissions included) until selection. */
  readonly checksSent: number
  /** Check transmissions on the selected pair: request round trips it took to get through. */
  readonly pairTransmissions: number
  /** From the start of the checks (both descriptions known) to selection. */
  readonly elapsedMs: number
  /** Round-trip time of the selected pair's last successful check. */
  readonly rttMs: number
}

export type AgentEvent =
  | { readonly type: 'gathered'; readonly description: SessionDescription }
  | { readonly type: 'selected'; readonly report: ConnectionReport }
  /** A relayed session moved to a direct pair: same session, same data, a shorter path. */
  | { readonly type: 'upgraded'; readonly report: ConnectionReport }
  /**
   * The direct pair stopped answering and the session went back to the relayed pair it came
   * from (same session; the upgrade window opens again).
   */
  | { readonly type: 'fell_back'; readonly report: ConnectionReport }
  | {
      readonly type: 'failed'
      /** `connection_lost`: the selected TCP connection closed. */
      readonly reason: 'timeout' | 'no_pair_succeeded' | 'connection_lost'
      readonly checksSent: number
    }
  | { readonly type: 'data'; readonly bytes: Uint8Array }

export type AgentOutput =
  | { readonly type: 'send'; readonly to: Address; readonly bytes: Uint8Array }
  | { readonly type: 'event'; readonly event: AgentEvent }
  /** The TCP component's connections (tcp-leg.ts), for a driver given a `Net`. */
  | TcpOutput
