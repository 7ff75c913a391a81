import type { Callback } from '../core/env.js'
import { OperationalError } from '../core/errors.js'
import { err, ok } from '../core/result.js'
import type { PeerPlugin } from './types.js'

/**
 * The protocols a peer hosts besides BitTorrent (each a `PeerPlugin`): started when added,
 * stopped in reverse order when the peer stops. Names are unique.
 */
export class PluginRegistry {
  private readonly running: PeerPlugin[] = []
  private readonly starting = new Set<string>()
  private stopped = false

  use(plugin: PeerPlugin, done: Callback<void>): void {
    if (this.stopped) return done(err(new OperationalError('closed', 'the peer is stopping')))
    const taken = this.starting.has(plugin.name) || this.running.some((p) => p.name === plugin.name)
    if (taken) {
      return done(err(new OperationalError('exists', `a plug-in named ${plugin.name} is running`)))
    }
    this.starting.add(plugin.name)
    plugin.start((started) => {
      this.starting.delete(plugin.name)
      if (!started.ok) return done(started)
      // Stopped while it started: stop it again at once.
      if (this.stopped)
        return plugin.stop(() => done(err(new OperationalError('closed', 'the peer is stopping'))))
      this.running.push(plugin)
      done(ok(undefined))
    })
  }

  list(): { readonly name: string; readonly status: Readonly<Record<string, unknown>> }[] {
    return this.running.map((plugin) => ({ name: plugin.name, status: plugin.status() }))
  }

  /** Stops every plug-in, the last started first; failures are reported, not fatal. */
  stopAll(onError: (name: string, error: OperationalError) => void, done: () => void): void {
    this.stopped = true
    const next = (): void => {
      const plugin = this.running.pop()
      if (plugin === undefined) return done()
      plugin.stop((stopped) => {
        if (!stopped.ok) onError(plugin.name, stopped.error)
        next()
      })
    }
    next()
  }
}
