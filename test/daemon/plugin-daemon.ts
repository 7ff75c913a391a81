import { join } from 'node:path'
import { parseConfigText, resolveConfig, type DaemonConfig } from '../../src/daemon/config.js'
import { startDaemon, type RunningDaemon } from '../../src/daemon/daemon.js'
import { PluginPeer } from './plugin-peer.js'

/** A daemon on loopback whose peer runs its plug-ins for real, and an authorised fetch. */
export interface PluginDaemon {
  readonly daemon: RunningDaemon
  readonly peer: PluginPeer
  readonly config: DaemonConfig
  request(path: string, init?: RequestInit): Promise<Response>
}

/**
 * Starts a daemon with its data under `dir`, the API and the peer on port 0 of 127.0.0.1, and
 * `sections` (config lines, e.g. `['[overlay]', 'enabled = true']`) after them. The caller
 * stops it (`daemon.stop()`).
 */
export async function startPluginDaemon(
  dir: string,
  sections: readonly string[],
  peer = new PluginPeer(),
): Promise<PluginDaemon> {
  const settings = parseConfigText(
    ['[api]', 'port = 0', '[peer]', 'port = 0', 'bind = "127.0.0.1"', ...sections].join('\n'),
  )
  const config = resolveConfig(settings, {
    defaultDataDir: join(dir, 'data'),
    dhtByDefault: false,
  })
  const daemon = await startDaemon({ config, startPeer: () => Promise.resolve(peer) })
  const request = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${daemon.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${daemon.token}`, ...(init.headers ?? {}) },
    })
  return { daemon, peer, config, request }
}
