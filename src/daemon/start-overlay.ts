import { isIPv4 } from 'node:net'
import { join } from 'node:path'
import type { Log } from '../core/env.js'
import { createNodeEnv } from '../drivers/node/env.js'
import type { MemberEvent } from '../drivers/overlay/member.js'
import { resolveOverlayAddresses } from '../drivers/overlay/start.js'
import { OverlayPlugin } from '../peer/overlay-plugin.js'
import type { PeerApi } from '../peer/types.js'
import { call } from './call.js'
import type { DaemonConfig } from './config.js'

/**
 * The daemon's structured-overlay node (`[overlay] enabled = true`): a plug-in of the peer on
 * the peer's Env, a `kind` node bound on the peer's address (IPv4: the overlays carry IPv4) at
 * `[overlay] port`, its id and known nodes kept in the state folder. Undefined when disabled;
 * rejects when it cannot start (port in use, a bootstrap name that does not resolve).
 */
export async function useOverlay(
  peer: PeerApi,
  config: DaemonConfig,
  stateDir: string,
  log: Log,
): Promise<OverlayPlugin | undefined> {
  const c = config.overlay
  if (!c.enabled) return undefined
  const bind = isIPv4(config.peer.bind) ? config.peer.bind : '0.0.0.0'
  // Names are resolved once, at start, through the machine's resolver.
  const at = await resolveOverlayAddresses(createNodeEnv(), {
    bind,
    port: c.port,
    bootstrap: c.bootstrap,
  })
  const settings = {
    kind: c.kind,
    bind: at.bind,
    advertiseHost: at.advertiseHost,
    bootstrap: at.bootstrap,
    statePath: join(stateDir, `overlay-${c.kind}.state`),
    // Only plain fields: a core's own events may carry bigint ids, which JSON cannot write.
    onEvent: (event: MemberEvent) => {
      if (event.type === 'joined') log.log('info', 'overlay joined')
      if (event.type === 'keys_moved' && 'count' in event)
        log.log('info', 'overlay keys moved', { count: event.count, direction: event.direction })
    },
  }
  let plugin: OverlayPlugin | undefined
  await call<void>((done) => peer.use((env) => (plugin = new OverlayPlugin(env, settings)), done))
  return plugin
}
