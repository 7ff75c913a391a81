import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { TorrentDetail, TorrentStatus } from '../../peer/types.js'
import { integerOption } from '../options.js'
import { printJson, printLine, usageError } from '../output.js'
import { RemoteClient, type RemoteOptions } from '../remote/client.js'
import { detailLines, limitText, listLines } from '../remote/format.js'
import { resolveId } from '../remote/resolve-id.js'

/**
 * The remote commands, as `transmission-remote`: they drive a running `plexus daemon` through
 * its loopback HTTP API, found through the daemon's data dir or --api and --token.
 */

interface CommonOptions extends RemoteOptions {
  readonly json?: boolean
}

const fileIndex = integerOption('file index', 0, 1_000_000)
// No default value: commander would print `(default: [])` in the help.
const collectIndex = (value: string, previous: number[] = []): number[] => [
  ...previous,
  fileIndex(value),
]
/** KiB/s, as `plexus seed --upload-limit`; 0 lifts the limit. */
const kibOption = integerOption('limit (KiB/s)', 0, 4 * 1024 * 1024 * 1024)

function remote(command: Command): Command {
  return command
    .option('--data-dir <dir>', "the daemon's data dir (default: <state>/daemon)")
    .option(
      '--api <url>',
      "the daemon's API, e.g. http://127.0.0.1:6890 (default: from the data dir)",
    )
    .option('--token <token>', "the API token (default: the data dir's api-token file)")
    .option('--json', 'print JSON')
}

const clientOf = (options: CommonOptions): Promise<RemoteClient> => RemoteClient.locate(options)

async function addSource(source: string): Promise<{ body: Uint8Array | { magnet: string } }> {
  if (source.toLowerCase().startsWith('magnet:')) return { body: { magnet: source } }
  try {
    return { body: new Uint8Array(await readFile(source)) }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT')
      throw usageError(`${source}: no such file (give a .torrent or a magnet link)`)
    throw error
  }
}

export function registerRemote(program: Command): void {
  remote(
    program
      .command('add')
      .description('add a torrent to the running daemon (a .torrent file or a magnet link)')
      .argument('<torrent|magnet>', '.torrent file or magnet link')
      .option('--paused', 'add it paused')
      .option(
        '--only <index>',
        'download only this file, as `plexus info` numbers them (repeatable)',
        collectIndex,
      )
      .option('--skip <index>', 'do not download this file (repeatable)', collectIndex)
      .option('--sequential', 'download pieces in order, for streaming (default: rarest first)')
      .option('-o, --output <dir>', "folder inside the daemon's download dir (default: its root)"),
  ).action(
    async (
      source: string,
      options: CommonOptions & {
        paused?: boolean
        only?: number[]
        skip?: number[]
        sequential?: boolean
        output?: string
      },
    ) => {
      const { body } = await addSource(source)
      const client = await clientOf(options)
      const only = options.only ?? []
      const skip = options.skip ?? []
      const settings = {
        paused: options.paused === true,
        saveDir: options.output ?? '',
        ...(only.length > 0 ? { only } : {}),
        ...(skip.length > 0 ? { skip } : {}),
        ...(options.sequential === true ? { sequential: true } : {}),
      }
      let status: TorrentStatus
      if (body instanceof Uint8Array) {
        const query = new URLSearchParams({
          paused: String(settings.paused),
          saveDir: settings.saveDir,
        })
        for (const index of only) query.append('only', String(index))
        for (const index of skip) query.append('skip', String(index))
        if (options.sequential === true) query.append('sequential', 'true')
        status = await client.request('POST', `/api/v1/torrents?${query.toString()}`, body)
      } else {
        status = await client.request('POST', '/api/v1/torrents', { ...body, ...settings })
      }
      if (options.json === true) printJson({ type: 'added', ...status })
      else
        printLine(`added ${status.name} (${status.infoHash})${settings.paused ? ', paused' : ''}`)
    },
  )

  remote(program.command('list').description("list the running daemon's torrents")).action(
    async (options: CommonOptions) => {
      const client = await clientOf(options)
      const { torrents } = await client.request<{ torrents: TorrentStatus[] }>(
        'GET',
        '/api/v1/torrents',
      )
      if (options.json === true) printJson({ type: 'list', torrents })
      else for (const line of listLines(torrents)) printLine(line)
    },
  )

  remote(
    program
      .command('show')
      .description("one torrent's details: files, peers, trackers")
      .argument('<id>', 'info-hash, or a unique prefix of it'),
  ).action(async (id: string, options: CommonOptions) => {
    const client = await clientOf(options)
    const infoHash = await resolveId(client, id)
    const detail = await client.request<TorrentDetail>('GET', `/api/v1/torrents/${infoHash}`)
    if (options.json === true) printJson({ type: 'torrent', ...detail })
    else for (const line of detailLines(detail)) printLine(line)
  })

  for (const verb of ['pause', 'resume'] as const) {
    remote(
      program
        .command(verb)
        .description(`${verb} a torrent of the running daemon`)
        .argument('<id>', 'info-hash, or a unique prefix of it'),
    ).action(async (id: string, options: CommonOptions) => {
      const client = await clientOf(options)
      const infoHash = await resolveId(client, id)
      const status = await client.request<TorrentStatus>(
        'POST',
        `/api/v1/torrents/${infoHash}/${verb}`,
      )
      if (options.json === true)
        printJson({ type: verb === 'pause' ? 'paused' : 'resumed', ...status })
      else printLine(`${verb === 'pause' ? 'paused' : 'resumed'} ${status.name} (${status.state})`)
    })
  }

  remote(
    program
      .command('remove')
      .description('remove a torrent from the running daemon (its files stay unless --delete-data)')
      .argument('<id>', 'info-hash, or a unique prefix of it')
      .option('--delete-data', "delete the torrent's files too"),
  ).action(async (id: string, options: CommonOptions & { deleteData?: boolean }) => {
    const client = await clientOf(options)
    const infoHash = await resolveId(client, id)
    const deleteData = options.deleteData === true
    await client.request('DELETE', `/api/v1/torrents/${infoHash}?deleteData=${deleteData}`)
    if (options.json === true) printJson({ type: 'removed', infoHash, deleteData })
    else printLine(`removed ${infoHash}${deleteData ? ' and its files' : ''}`)
  })

  remote(
    program
      .command('limits')
      .description(
        "show or set the daemon's global rate limits (KiB/s, 0 = unlimited) and connection limit",
      )
      .option('--up <KiB/s>', 'upload limit', kibOption)
      .option('--down <KiB/s>', 'download limit', kibOption)
      .option(
        '--connections <n>',
        'peer connections over all torrents',
        integerOption('connections', 1, 1_000_000),
      ),
  ).action(
    async (options: CommonOptions & { up?: number; down?: number; connections?: number }) => {
      const client = await clientOf(options)
      type Limits = { uploadRateLimit: number; downloadRateLimit: number; connectionsMax: number }
      const change = {
        ...(options.up === undefined ? {} : { uploadRateLimit: options.up * 1024 }),
        ...(options.down === undefined ? {} : { downloadRateLimit: options.down * 1024 }),
        ...(options.connections === undefined ? {} : { connectionsMax: options.connections }),
      }
      const limits =
        Object.keys(change).length === 0
          ? await client.request<Limits>('GET', '/api/v1/settings')
          : await client.request<Limits>('PUT', '/api/v1/settings', change)
      if (options.json === true) printJson({ type: 'limits', ...limits })
      else
        printLine(
          `upload: ${limitText(limits.uploadRateLimit)}, download: ${limitText(limits.downloadRateLimit)}, ` +
            `connections: ${limits.connectionsMax}`,
        )
    },
  )
}
