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
  const metrics = tee(registry, env.metrics)
  // Every other port is read from `env` at each use: an Env may be a class with getters (the
  // simulator's), which a spread would not copy.
  const own: Env = {
    get clock() {
      return env.clock
    },
    get random() {
      return env.random
    },
    get net() {
      return env.net
    },
    get disk() {
      return env.disk
    },
    get log() {
      return env.log
    },
    metrics,
    get hashing() {
      return env.hashing
    },
    get keyAgreement() {
      return env.keyAgreement
    },
    get signing() {
      return env.signing
    },
    get resolver() {
      return env.resolver
    },
    get http() {
      return env.http
    },
  }
  return { env: own, registry }
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
