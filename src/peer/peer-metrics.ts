import type { Env, Metrics } from '../core/env.js'
import { MetricsRegistry } from '../drivers/node/metrics.js'

/**
 * Every peer owns one metrics registry (issue 12: "one event stream and one metrics registry
 * per peer"), so two peers in one process, or on one simulated host, never add to each other's
 * counters. The parts the peer composes (listener, sessions, the DHT node) count through the
 * env this returns: each sample lands in the peer's registry and is still passed on to the
 * world's own `env.metrics` (the simulator's per-host totals, a process-wide registry).
 */
export function peerEnvWithMetrics(env: Env): { env: Env; registry: MetricsRegistry } {
  const registry = new MetricsRegistry()
  return { env: new PeerEnv(env, tee(registry, env.metrics)), registry }
}

/**
 * The world's env with the peer's metrics. Every other port is read from `env` at each use: an
 * Env may be a class with getters (the simulator's), which a spread would not copy. A class,
 * not an object literal with getters: V8 keeps such a literal as a dictionary (about 800
 * bytes), and the simulator makes one per host (100,000 in a DHT run).
 */
class PeerEnv implements Env {
  constructor(
    private readonly world: Env,
    readonly metrics: Metrics,
  ) {}

  get clock(): Env['clock'] {
    return this.world.clock
  }

  get random(): Env['random'] {
    return this.world.random
  }

  get net(): Env['net'] {
    return this.world.net
  }

  get disk(): Env['disk'] {
    return this.world.disk
  }

  get log(): Env['log'] {
    return this.world.log
  }

  get hashing(): Env['hashing'] {
    return this.world.hashing
  }

  get keyAgreement(): Env['keyAgreement'] {
    return this.world.keyAgreement
  }

  get signing(): Env['signing'] {
    return this.world.signing
  }

  get resolver(): Env['resolver'] {
    return this.world.resolver
  }

  get http(): Env['http'] {
    return this.world.http
  }
}

function tee(own: Metrics, world: Metrics): Metrics {
  return {
    count(name, delta) {
      own.count(name, delta)
      world.count(name, delta)
    },
    observe(name, value) {
      own.observe(name, value)
      world.observe(name, value)
    },
  }
}
