/** The onion commands' log: warnings and info to stderr, as text or JSON lines. */
import type { Log } from '../../core/env.js'

export const stderrLog = (json: boolean): Log => {
  const log: Log = {
    log: (level, message, fields) => {
      if (level === 'debug') return
      process.stderr.write(
        json
          ? `${JSON.stringify({ type: 'log', level, message, ...fields })}\n`
          : `plexus: ${level}: ${message} ${JSON.stringify(fields ?? {})}\n`,
      )
    },
    child: () => log,
  }
  return log
}
