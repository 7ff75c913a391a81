import { join } from 'node:path'
import type { Log } from '../../src/core/env.js'
import { PlexusRelay } from '../../src/drivers/onion/relay-server.js'
import {
  DEFAULT_EXIT_POLICY,
  parseExitPolicy,
} from '../../src/protocols/onion/directory/exit-policy.js'

/** A Log that keeps its warnings (a test asserts on what the relays refused), and the list. */
export function warningLog(): { log: Log; warnings: string[] } {
  const warnings: string[] = []
  const log: Log = {
    log: (level, message, fields) => {
      if (level === 'warn') warnings.push(`${message} ${JSON.stringify(fields)}`)
    },
    child: () => log,
  }
  return { log, warnings }
}

/**
 * `count` plexus relays on 127.0.0.1 (port 0), each with its state in `root/<prefix><i>` and the
 * default exit policy (loopback only); `extra` adds options (a short handshake timeout, links
 * that authenticate with AUTHENTICATE).
 */
export async function startPlexusRelays(
  root: string,
  count: number,
  log: Log,
  prefix = 'relay',
  extra: { readonly handshakeTimeoutMs?: number; readonly authenticateLinks?: boolean } = {},
): Promise<PlexusRelay[]> {
  const policy = parseExitPolicy(DEFAULT_EXIT_POLICY)
  if (!policy.ok) throw new Error(`the default exit policy does not parse: ${policy.error}`)
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      PlexusRelay.start({
        stateDir: join(root, `${prefix}${index}`),
        port: 0,
        bind: '127.0.0.1',
        exitPolicy: policy.value,
        log,
        ...extra,
      }),
    ),
  )
}
