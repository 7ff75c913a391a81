import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * Where plexus keeps state that is not content (resume data, the DHT routing table): never in
 * a download folder, where a torrent's own files could take its names. `$PLEXUS_STATE_DIR`,
 * else `$XDG_STATE_HOME/plexus`, else `~/.local/state/plexus` (the XDG base directory rule).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['PLEXUS_STATE_DIR']
  if (explicit !== undefined && explicit !== '') return resolve(explicit)
  const xdg = env['XDG_STATE_HOME']
  // XDG: a relative path in the variable is invalid and is to be ignored.
  const base = xdg !== undefined && xdg.startsWith('/') ? xdg : join(homedir(), '.local', 'state')
  return join(base, 'plexus')
}

/** Under the test runner (PLEXUS_TEST=1): no public routers, nothing written under $HOME. */
export const underTestRunner = (): boolean => process.env['PLEXUS_TEST'] === '1'
