import type { Address } from '../../core/address.js'
import type { TcpConfig } from './tcp-gather.js'

/** Timers in milliseconds; defaults suit the Internet and the test bed alike. */
export interface AgentConfig {
  /** STUN servers for server-reflexive candidates. */
  readonly stunServers: readonly Address[]
  /** A relay-lite server for a relayed candidate. */
  readonly relay: Address | undefined
  /** A TURN server (RFC 8656, long-term credentials) for a relayed candidate, instead. */
  readonly turn: TurnServerRef | undefined
  /** Ta: the pacing of new checks (RFC 8445 section 14.2 allows 5 ms upwards). */
  readonly checkIntervalMs: number
  /** First retransmission timeout of a check or gathering request; doubles per attempt. */
  readonly rtoMs: number
  readonly rtoMaxMs: number
  /** Transmissions of one request before it fails. */
  readonly checkAttempts: number
  /** Gathering gives up on servers that have not answered by then. */
  readonly gatherTimeoutMs: number
  /** How long a relayed pair waits for a direct one to succeed before it is nominated. */
  readonly nominationWaitMs: number
  /** Checking fails after this long without a selected pair. */
  readonly checkTimeoutMs: number
  /** Binding indications on an idle selected pair (RFC 8445 section 11: 15 s). */
  readonly keepaliveMs: number
  /**
   * After a relayed pair is selected, the direct pairs are still checked this long (0: never);
   * the first that succeeds takes the session's traffic (`upgraded`).
   */
  readonly upgradeWindowMs: number
  /** Direct pairs that failed meanwhile are checked again this often while upgrading. */
  readonly upgradeRetryMs: number
  /**
   * The least a receiver holds the new path's datagrams after a switch (see path-switch.ts);
   * 0 turns the hold off, for applications that put datagrams in order themselves.
   */
  readonly pathSwitchHoldMinMs: number
  /**
   * A direct pair that replaced a relayed one is checked this often (a Binding request, as
   * RFC 7675's consent freshness) while the relayed pair is kept to fall back to.
   */
  readonly consentIntervalMs: number
  /**
   * The session falls back to the relayed pair when no check on the direct one was answered
   * for this long (0: never; the relayed pair is then not kept).
   */
  readonly fallbackAfterMs: number
  /**
   * TCP candidates (RFC 6544): the driver's passive listener and S-O port. Undefined (the
   * default): UDP only, for drivers that do not run the agent's streams.
   */
  readonly tcp: TcpConfig | undefined
}

export interface TurnServerRef {
  readonly server: Address
  readonly username: string
  readonly password: string
}

export const DEFAULT_AGENT_CONFIG: AgentConfig = {
  stunServers: [],
  relay: undefined,
  turn: undefined,
  checkIntervalMs: 20,
  rtoMs: 200,
  rtoMaxMs: 1000,
  checkAttempts: 5,
  gatherTimeoutMs: 3000,
  nominationWaitMs: 1000,
  checkTimeoutMs: 15_000,
  keepaliveMs: 15_000,
  upgradeWindowMs: 60_000,
  upgradeRetryMs: 5_000,
  pathSwitchHoldMinMs: 50,
  consentIntervalMs: 500,
  fallbackAfterMs: 2_000,
  tcp: undefined,
}
