/**
 * A Gnutella plug-in on this machine's Env (Node's clock, sockets and randomness), started:
 * what `plexus gnutella` runs, and what the daemon adds to its peer.
 */
import { createNodeEnv } from '../node/env.js'
import { promised } from '../promises.js'
import { GnutellaPlugin, type GnutellaPluginConfig } from './gnutella-plugin.js'

/** A plug-in on a fresh Node Env, not started: for `Peer.use`, which starts it. */
export function nodeGnutellaPlugin(config: GnutellaPluginConfig): GnutellaPlugin {
  return new GnutellaPlugin(createNodeEnv(), config)
}

/** A plug-in on a fresh Node Env, started on its own (no Peer around it: the CLI). */
export async function startGnutellaNode(config: GnutellaPluginConfig): Promise<GnutellaPlugin> {
  const plugin = nodeGnutellaPlugin(config)
  await promised<void>((done) => plugin.start(done))
  return plugin
}
