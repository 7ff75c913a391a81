import { isIP } from 'node:net'
import { NodeResolver } from '../drivers/node/resolver.js'
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

/**
 * A host name's first address through the Env's resolver port (/etc/hosts first, IPv4 before
 * IPv6, as a listener on '0.0.0.0' would want); rejects with the resolver's error.
 */
export function resolveHostName(name: string): Promise<string> {
  return new Promise((resolve, reject) =>
    new NodeResolver().resolve(name, (found) =>
      found.ok ? resolve(found.value[0] as string) : reject(found.error),
    ),
  )
}

const systemLookup = resolveHostName
