import type { Address } from '../../core/address.js'
import type { Codec } from '../../core/core.js'
import type { Clock, DatagramSocket, Hashing, Metrics } from '../../core/env.js'
import type { Random } from '../../core/random.js'
import type { Instant } from '../../core/time.js'
import type { OverlayDht, OverlayEvent } from '../../protocols/overlay/dht.js'
import type { Attached } from '../attach.js'

/** The structured overlays `plexus overlay` runs. */
export const OVERLAY_NAMES = ['chord', 'pastry', 'can'] as const
export type OverlayName = (typeof OVERLAY_NAMES)[number]

/** A core's event: the shared overlay events, or one of its own (reported as a log line). */
export type MemberEvent = OverlayEvent | { readonly type: string }

/** What one overlay needs to build a member; the timing knobs are per overlay. */
export interface MemberInput {
  readonly now: Instant
  readonly random: Random
  readonly hashing: Hashing
  /** Where this node is reachable, as others see it (it travels in node lists). */
  readonly self: Address
  /** The id kept in a state file (hex), so a restart keeps its place. */
  readonly id?: string
}

export interface MemberState {
  readonly id: string
  /** Nodes this member knew: a restart rejoins through them. */
  readonly nodes: readonly Address[]
}

/**
 * One overlay core behind the operations the driver needs, with its message types hidden:
 * each overlay's factory (chord.ts, pastry.ts, can.ts) binds its own core and codec.
 */
export interface OverlayMember {
  readonly dht: OverlayDht
  /** The overlay's wire codec (a dual-stack node's gateway translates addresses with it). */
  readonly codec: Codec<unknown, unknown>
  /** Binds the core to the socket (the shared `attach`, with the overlay's codec). */
  attach(
    clock: Clock,
    socket: DatagramSocket,
    metrics: Metrics,
    onEvent: (event: MemberEvent) => void,
  ): Attached
  /** The first node of a new overlay. */
  create(): void
  /** Joins through the first of `bootstrap` that answers (Chord) or the first one (Pastry, CAN). */
  join(now: Instant, bootstrap: readonly Address[]): void
  /** Never joins: every operation starts at `gateway`. */
  useGateway(gateway: Address): void
  joined(): boolean
  state(): MemberState
  /** Counters and sizes for the status line (the ring, leaf set or zone summary). */
  stats(): Readonly<Record<string, number | string>>
  /** Keys this node stores (Pastry counts its replicas too). */
  storedKeys(): number
  /** The id bytes a text key is stored under (Chord hashes it onto the ring; the others hash inside). */
  keyBytes(key: Uint8Array): Uint8Array
  /** Bytes of a lookup id, or undefined when it does not fit this overlay's id space. */
  idBytes(hex: string): Uint8Array | undefined
}
