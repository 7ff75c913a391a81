import type { Address } from '../../core/address.js'
import type { IpFamily } from '../../core/compact-peers.js'
import type { Hashing } from '../../core/env.js'
import type { Id160 } from '../../core/id.js'
import type { Random } from '../../core/random.js'
import type { DhtConfig } from './config.js'
import type { Ed25519 } from './ed25519.js'
import type { NodeInfo } from './messages.js'

/** What a `DhtNode` is built from, and what it reports about itself (`inspect`). */

export interface DhtDeps {
  readonly random: Random
  readonly hashing: Hashing
  /** Needed for mutable items (putMutable, and verifying mutable puts and gets). */
  readonly ed25519?: Ed25519
}

export interface DhtNodeOptions {
  readonly config?: DhtConfig
  /** Our id; default: BEP 42-compliant for `externalAddress` when given, else random. */
  readonly id?: Id160
  /** Our external address when known up front (then our id is BEP 42-compliant for it). */
  readonly externalAddress?: Address
  /** Nodes to start the table with (from `importState`): inserted as unverified. */
  readonly nodes?: readonly NodeInfo[]
  /**
   * BEP 32: the address families we can send to, one routing table each (default: IPv4
   * only, plain BEP 5). A single-socket driver passes its socket's family; both make a
   * dual-stack node.
   */
  readonly families?: readonly IpFamily[]
}

export interface DhtStats {
  readonly id: Id160
  /** Nodes in all routing tables. */
  readonly tableSize: number
  /** BEP 32: nodes per family's table. */
  readonly tableSizes: Readonly<Partial<Record<IpFamily, number>>>
  readonly inflight: number
  /** Operations (lookups, announces, puts, gets, bootstraps) running now. */
  readonly operations: number
  /** Operations started since the node was made: a monotonic total. */
  readonly operationsStarted: number
  readonly queriesSent: number
  readonly maintenanceQueriesSent: number
  readonly queriesReceived: number
  readonly queriesDropped: number
  readonly queriesIgnoredReadOnly: number
  readonly responsesUnmatched: number
  readonly timeouts: number
  readonly peersStored: number
  readonly itemsStored: number
  readonly smoothedRttMs: number | undefined
}
