/**
 * The host cache as text, one host a line (`host:port ultrapeer` or `host:port peer`), so that
 * a restarted servent can rejoin without being told where. Parsing is forgiving (bad lines are
 * skipped and counted) and bounded; duplicates keep their first line.
 */
import { addressKey, parseAddress, type Address } from '../../core/address.js'

export interface KnownHost {
  readonly address: Address
  readonly ultrapeer: boolean
}

export const HOST_CACHE_ENTRIES_MAX = 1000

export function formatHostCache(hosts: readonly KnownHost[]): string {
  const seen = new Set<string>()
  const lines: string[] = []
  for (const h of hosts) {
    const key = addressKey(h.address)
    if (seen.has(key) || lines.length >= HOST_CACHE_ENTRIES_MAX) continue
    seen.add(key)
    lines.push(`${key} ${h.ultrapeer ? 'ultrapeer' : 'peer'}`)
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}

export function parseHostCache(text: string): { hosts: KnownHost[]; skipped: number } {
  const hosts: KnownHost[] = []
  const seen = new Set<string>()
  let skipped = 0
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const [where = '', kind = 'peer', ...rest] = line.split(/\s+/)
    const address = parseAddress(where)
    if (
      address === undefined ||
      address.port === 0 ||
      rest.length > 0 ||
      (kind !== 'ultrapeer' && kind !== 'peer')
    ) {
      skipped++
      continue
    }
    const key = addressKey(address)
    if (seen.has(key)) continue
    if (hosts.length >= HOST_CACHE_ENTRIES_MAX) {
      skipped++
      continue
    }
    seen.add(key)
    hosts.push({ address, ultrapeer: kind === 'ultrapeer' })
  }
  return { hosts, skipped }
}
