import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import { CliError } from './output.js'

/**
 * `--bind` takes an IP literal or a host name (`localhost`); the drivers listen on IP literals
 * only, so a name is resolved here, once, before the command starts. A name that does not
 * resolve is a fatal condition (exit 1), reported in one line.
 */
export async function resolveBindHost(
  host: string,
  lookupHost: (name: string) => Promise<string> = systemLookup,
): Promise<string> {
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
  if (isIP(literal) !== 0) return literal
  try {
    return await lookupHost(literal)
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new CliError(`--bind ${host}: cannot resolve this host name (${why})`, 'bad_address')
  }
}

/** The system resolver (/etc/hosts first); IPv4 first, as a listener on '0.0.0.0' would be. */
async function systemLookup(name: string): Promise<string> {
  const found = await lookup(name, { verbatim: false })
  return found.address
}
