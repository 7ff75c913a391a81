import { fromHex } from '../../core/bytes.js'
import {
  CanNode,
  canCodec,
  canConfig,
  canMessageName,
  type CanConfig,
} from '../../protocols/can/index.js'
import { attach } from '../attach.js'
import type { MemberInput, OverlayMember } from './member.js'

/** A CAN member: the sans-IO `CanNode` with its codec; keys and ids hash to points. */
export function canMember(input: MemberInput, config: Partial<CanConfig> = {}): OverlayMember {
  const core = new CanNode(
    input.now,
    { random: input.random, hashing: input.hashing },
    {
      config: canConfig(config),
      self: input.self,
      ...(input.id === undefined ? {} : { id: input.id }),
    },
  )
  return {
    dht: core,
    codec: canCodec,
    attach: (clock, socket, metrics, onEvent) =>
      attach(core, canCodec, { clock, socket, metrics, messageName: canMessageName, onEvent }),
    create: () => core.create(),
    // CAN joins through one bootstrap node, which routes the join to a random point's owner.
    join: (now, bootstrap) => {
      const first = bootstrap[0]
      if (first !== undefined) core.join(now, first)
    },
    useGateway: (gateway) => core.useGateway(gateway),
    joined: () => core.joined,
    state: () => ({ id: core.id, nodes: core.neighbourInfos().map((n) => n.address) }),
    stats: () => {
      const s = core.inspect()
      return {
        zones: s.zones.map((z) => (z === '' ? 'all' : z)).join(',') || 'none',
        neighbours: s.neighbours,
        items: s.items,
        replicas: s.replicas,
        maintenanceSent: s.maintenanceSent,
        takeovers: s.takeovers,
        dropped: s.dropped,
      }
    },
    storedKeys: () => core.inspect().items,
    keyBytes: (key) => key,
    // Any id of 1 to 64 bytes: CAN hashes it to a point.
    idBytes: (hex) => (/^([0-9a-fA-F]{2}){1,64}$/.test(hex) ? fromHex(hex) : undefined),
  }
}
