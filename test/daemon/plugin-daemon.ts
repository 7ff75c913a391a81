import assert from 'node:assert/strict'
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

/** The API's error body (`docs/daemon.md`). */
interface ErrorBody {
  readonly type: string
  readonly code: string
  readonly message: string
}

/** Asserts that `response` is a refusal with `status` and the error `code`. */
export async function refused(response: Response, status: number, code: string): Promise<void> {
  const body = (await response.json()) as ErrorBody
  assert.equal(response.status, status, JSON.stringify(body))
  assert.equal(body.type, 'error')
  assert.equal(body.code, code, body.message)
}

/** Polls `probe` every 50 ms until it gives a value; fails after 10 s naming `what`. */
export async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
