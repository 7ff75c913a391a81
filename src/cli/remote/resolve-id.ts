import type { TorrentStatus } from '../../peer/types.js'
import { CliError, usageError } from '../output.js'
import type { RemoteClient } from './client.js'

/** A full info-hash from a unique prefix of one (as `git` takes a commit). */
export async function resolveId(client: RemoteClient, text: string): Promise<string> {
  const prefix = text.trim().toLowerCase()
  if (!/^[0-9a-f]{1,40}$/.test(prefix)) {
    throw usageError(`${text}: not an info-hash or a prefix of one (hex digits)`)
  }
  if (prefix.length === 40) return prefix
  const { torrents } = await client.request<{ torrents: TorrentStatus[] }>(
    'GET',
    '/api/v1/torrents',
  )
  const matches = torrents.filter((t) => t.infoHash.startsWith(prefix))
  if (matches.length === 0) throw new CliError(`no torrent matches ${text}`, 'not_found')
  if (matches.length > 1) {
    const names = matches.map((t) => `${t.infoHash.slice(0, 12)} ${t.name}`).join(', ')
    throw usageError(`${text} matches ${matches.length} torrents (${names}): give more digits`)
  }
  return (matches[0] as TorrentStatus).infoHash
}
