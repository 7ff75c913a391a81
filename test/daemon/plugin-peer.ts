import type { Callback } from '../../src/core/env.js'
import type { PeerPlugin, PeerPluginFactory } from '../../src/peer/types.js'
import { MemoryPeer } from './memory-peer.js'

/** The in-memory peer, but its plug-ins really start and stop (as the real Peer's do). */
export class PluginPeer extends MemoryPeer {
  readonly started: PeerPlugin[] = []
  override use(source: PeerPlugin | PeerPluginFactory, done: Callback<void>): void {
    const plugin = this.materialize(source)
    plugin.start((result) => {
      if (result.ok) this.started.push(plugin)
      done(result)
    })
  }
  override plugins() {
    return this.started.map((p) => ({ name: p.name, status: p.status() }))
  }
  override stop(done: Callback<void>): void {
    const plugin = this.started.pop()
    if (plugin === undefined) return super.stop(done)
    plugin.stop(() => this.stop(done))
  }
}
