/**
 * The plexus ping protocol: the smallest real protocol, used to prove that one sans-IO core runs
 * unchanged over real UDP and inside the simulator. A `ping` carries a transaction id and an
 * optional padding (to measure how size affects RTT); the `pong` echoes the id.
 */
export type PingMessage =
  | { readonly type: 'ping'; readonly tid: number; readonly paddingBytes: number }
  | { readonly type: 'pong'; readonly tid: number }

export type PingEvent =
  | {
      readonly type: 'pong_received'
      readonly from: string
      readonly tid: number
      readonly rttMs: number
    }
  | { readonly type: 'ping_timed_out'; readonly to: string; readonly tid: number }
  | { readonly type: 'ping_received'; readonly from: string }
  | { readonly type: 'remote_fault'; readonly from: string; readonly detail: string }
