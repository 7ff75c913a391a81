import { fromHex } from '../../core/bytes.js'
import {
  DEFAULT_PASTRY_CONFIG,
  PastryNode,
  pastryCodec,
  pastryMessageName,
  type PastryConfig,
} from '../../protocols/pastry/index.js'
import { attach } from '../attach.js'
import type { MemberInput, OverlayMember } from './member.js'

/** A Pastry member: the sans-IO `PastryNode` with its codec; ids are 32 hex digits. */
export function pastryMember(
  input: MemberInput,
  config: Partial<PastryConfig> = {},
): OverlayMember {
  const id = input.id !== undefined && /^[0-9a-f]{32}$/.test(input.id) ? input.id : undefined
  const core = new PastryNode(
    input.now,
    { random: input.random, hashing: input.hashing },
    {
      config: { ...DEFAULT_PASTRY_CONFIG, ...config },
      self: input.self,
      ...(id === undefined ? {} : { id }),
    },
  )
  return {
    dht: core,
    codec: pastryCodec,
    attach: (clock, socket, metrics, onEvent) =>
      attach(core, pastryCodec, {
        clock,
        socket,
        metrics,
        messageName: pastryMessageName,
        onEvent,
      }),
    create: () => core.create(),
    // Pastry joins through one nearby node (the paper's proximity assumption).
    join: (now, bootstrap) => {
      const first = bootstrap[0]
      if (first !== undefined) core.join(now, first)
    },
    useGateway: (gateway) => core.useGateway(gateway),
    joined: () => core.joined,
    state: () => ({ id: core.id, nodes: core.state.known().map((r) => r.address) }),
    stats: () => ({ ...core.inspect() }),
    // The core hashes keys itself (SHA-256, top 128 bits).
    storedKeys: () => core.inspect().items,
    keyBytes: (key) => key,
    idBytes: (hex) => (/^[0-9a-fA-F]{32}$/.test(hex) ? fromHex(hex) : undefined),
  }
}
