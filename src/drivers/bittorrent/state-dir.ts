import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/**
 * The folder where `seed` and `get` keep their own state (resume data under `resume/`), apart
 * from any download: `$PLEXUS_STATE_DIR`, else `$XDG_STATE_HOME/plexus`, else
 * `~/.local/state/plexus` (the XDG base directory default). `--state-dir` overrides it.
 * Relative values are resolved against the working directory; empty ones are ignored, as the
 * XDG specification asks.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env['PLEXUS_STATE_DIR']
  if (own !== undefined && own !== '') return resolve(own)
  const xdg = env['XDG_STATE_HOME']
  if (xdg !== undefined && xdg !== '') return join(resolve(xdg), 'plexus')
  return join(homedir(), '.local', 'state', 'plexus')
}
