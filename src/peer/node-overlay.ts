/**
 * An overlay plug-in on this machine's Env (Node's clock, sockets and randomness), host names
 * resolved: what `plexus overlay <kind>` runs on its own, and what `Peer.use` can take.
 */
import { createNodeEnv } from '../drivers/node/env.js'
import { promised } from '../drivers/promises.js'
import { resolveOverlayAddresses, type OverlayNodeOptions } from '../drivers/overlay/start.js'
import { OverlayPlugin } from './overlay-plugin.js'

export type OverlayPluginOptions = Omit<OverlayNodeOptions, 'overlay' | 'role'> & {
  readonly kind: OverlayNodeOptions['overlay']
}

/** A plug-in on a fresh Node Env, not started (for `Peer.use`, which starts it). */
export async function nodeOverlayPlugin(options: OverlayPluginOptions): Promise<OverlayPlugin> {
  const env = createNodeEnv()
  const at = await resolveOverlayAddresses(env, options)
  return new OverlayPlugin(env, {
    kind: options.kind,
    bind: at.bind,
    advertiseHost: at.advertiseHost,
    bootstrap: at.bootstrap,
    ...(at.bind6 === undefined ? {} : { bind6: at.bind6 }),
    ...(at.advertiseHost6 === undefined ? {} : { advertiseHost6: at.advertiseHost6 }),
    ...(options.state === undefined ? {} : { statePath: options.state }),
    ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
  })
}

/** A plug-in on a fresh Node Env, started on its own (no Peer around it: the CLI). */
export async function startOverlayPlugin(options: OverlayPluginOptions): Promise<OverlayPlugin> {
  const plugin = await nodeOverlayPlugin(options)
  await promised<void>((done) => plugin.start(done))
  return plugin
}
