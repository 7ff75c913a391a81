import { OVERLAY_NAMES, type OverlayName } from '../drivers/overlay/member.js'
import type { KeyKind } from './config.js'

/**
 * The `[overlay]` section of the daemon's config file: one structured-overlay node (Chord,
 * Pastry or CAN) run as a plug-in of the daemon's peer (docs/protocols/overlay.md, "In the
 * daemon"). Off by default.
 */
export interface OverlayDaemonConfig {
  readonly enabled: boolean
  readonly kind: OverlayName
  /** UDP, bound on `peer.bind`. */
  readonly port: number
  /** `host:port` each; empty: the nodes in the state file, else a new overlay. */
  readonly bootstrap: readonly string[]
}

/** The default UDP port per kind (those of `plexus overlay <kind>`). */
export const DEFAULT_OVERLAY_PORTS: Readonly<Record<OverlayName, number>> = {
  chord: 7400,
  pastry: 7401,
  can: 7402,
}

export const OVERLAY_KEYS: Readonly<Record<string, KeyKind>> = {
  enabled: { kind: 'boolean' },
  kind: { kind: 'choice', values: OVERLAY_NAMES },
  port: { kind: 'integer', min: 0, max: 65535 },
  bootstrap: { kind: 'addresses' },
}

type Get = <T extends string | number | boolean | readonly string[]>(key: string, fallback: T) => T

export function resolveOverlayConfig(get: Get): OverlayDaemonConfig {
  const kind = get<OverlayName>('overlay.kind', 'chord')
  return {
    enabled: get('overlay.enabled', false),
    kind,
    port: get('overlay.port', DEFAULT_OVERLAY_PORTS[kind]),
    bootstrap: get<readonly string[]>('overlay.bootstrap', []),
  }
}

export function formatOverlayConfig(config: OverlayDaemonConfig): Record<string, unknown> {
  return {
    enabled: config.enabled,
    kind: config.kind,
    port: config.port,
    bootstrap: config.bootstrap,
  }
}
