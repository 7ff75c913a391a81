import { lookup } from 'node:dns/promises'
import { isIP } from 'node:net'
import type { Callback, ResolveOptions, Resolver } from '../../core/env.js'
import { OperationalError, type OperationalErrorCode } from '../../core/errors.js'
import { err, ok } from '../../core/result.js'
import { errorCode } from './udp.js'

const ERRORS: Readonly<Record<string, OperationalErrorCode>> = {
  ENOTFOUND: 'not_found',
  ENODATA: 'not_found',
  EAI_NONAME: 'not_found',
  EAI_AGAIN: 'timeout',
  ETIMEOUT: 'timeout',
}

/**
 * The Resolver port through the system resolver (getaddrinfo: /etc/hosts, then DNS), as
 * every other program on the machine resolves names. IPv4 answers come first.
 */
export class NodeResolver implements Resolver {
  resolve(name: string, done: Callback<readonly string[]>, options: ResolveOptions = {}): void {
    const literal = name.replace(/^\[|\]$/g, '')
    const family = isIP(literal)
    if (family !== 0) {
      const wanted = options.family === undefined || options.family === family
      setImmediate(() =>
        done(wanted ? ok([literal]) : err(notFound(name, `is an IPv${family} literal`))),
      )
      return
    }
    lookup(name, { all: true, family: options.family ?? 0 }).then(
      (found) => {
        const addresses = [...found]
          .sort((a, b) => a.family - b.family)
          .map((entry) => entry.address)
        const unique = [...new Set(addresses)]
        done(unique.length === 0 ? err(notFound(name, 'has no address')) : ok(unique))
      },
      (error: Error) => {
        const code = ERRORS[errorCode(error)] ?? 'unreachable'
        done(err(new OperationalError(code, `resolve ${name}: ${error.message}`)))
      },
    )
  }
}

const notFound = (name: string, why: string): OperationalError =>
  new OperationalError('not_found', `resolve ${name}: ${why}`)
