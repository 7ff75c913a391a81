import { PACKET_BYTES_CEILING_DEFAULT, PACKET_BYTES_FLOOR_V4 } from './pmtu.js'

/** What a uTP connection is configured with, and what it tells its driver. */

export interface UtpConfig {
  /**
   * The UDP payload every path carries: packets start at this size while path MTU discovery
   * probes upwards (548 for IPv4, 1232 for IPv6; see pmtu.ts).
   */
  readonly packetBytesFloor: number
  /**
   * The largest UDP payload probed: the local interface's MTU less the IP and UDP headers,
   * never above Ethernet's (so loopback's 65536 does not make 64 KiB datagrams).
   */
  readonly packetBytesCeiling: number
  /** What we advertise as `wnd_size` when nothing waits to be read. */
  readonly receiveBufferBytes: number
  /** The congestion window's ceiling. */
  readonly sendWindowBytesMax: number
  /**
   * Retransmissions of one packet before the connection times out: libtorrent's
   * `utp_num_resends` (3), so a vanished peer is given up after about 7.5 s of timeouts
   * (0.5 + 1 + 2 + 4 s at the minimum RTO) rather than a minute.
   */
  readonly resendsMax: number
  /** SYN retransmissions before connect fails (libtorrent's `utp_syn_resends` is 2). */
  readonly synResendsMax: number
  /**
   * Once our FIN is out, retransmissions of the oldest unacked packet before the connection
   * gives up (libtorrent's `utp_fin_resends`, 2). A peer that vanished mid-transfer would
   * otherwise hold the closing connection, and a stopping process with it, through the whole
   * `resendsMax` schedule: a seed stopped by SIGTERM took 30 s to exit.
   */
  readonly finResendsMax: number
  /** An idle connection sends a bare ack this often so NATs keep its mapping. */
  readonly keepaliveMs: number
  /** Out-of-order packets kept for reordering at most. */
  readonly reorderPacketsMax: number
}

export const DEFAULT_UTP_CONFIG: UtpConfig = {
  packetBytesFloor: PACKET_BYTES_FLOOR_V4,
  packetBytesCeiling: PACKET_BYTES_CEILING_DEFAULT,
  receiveBufferBytes: 1024 * 1024,
  sendWindowBytesMax: 1024 * 1024,
  resendsMax: 3,
  synResendsMax: 3,
  finResendsMax: 2,
  keepaliveMs: 29_000,
  reorderPacketsMax: 1024,
}

export type UtpCloseReason = 'end' | 'reset' | 'timeout' | 'local'

export type UtpEvent =
  | { readonly type: 'connected' }
  | { readonly type: 'data'; readonly bytes: Uint8Array }
  /** The far side's FIN, after every byte before it was delivered. */
  | { readonly type: 'remote_end' }
  /** The unsent queue fell below the low-water mark after a write found it full. */
  | { readonly type: 'drain' }
  | { readonly type: 'closed'; readonly reason: UtpCloseReason }
  /**
   * A path MTU probe of `bytes` (UDP payload) was lost: the driver may ask the host what it
   * learned of the path (the kernel's path MTU from ICMP) and pass it to `pathMtuHint`.
   */
  | { readonly type: 'mtu_probe_lost'; readonly bytes: number }

export type UtpState = 'syn_sent' | 'connected' | 'closed'

/** Unsent bytes above which `write` reports backpressure (as the TCP driver's 64 KiB). */
export const SEND_HIGH_WATER_BYTES = 64 * 1024
