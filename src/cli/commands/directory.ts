import { InvalidArgumentError, type Command } from 'commander'
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { SORT_COLUMNS } from '../../drivers/directory/sort-columns.js'
import { NodeLog } from '../../drivers/node/log.js'
import { directoryBase, fetchTorrent, publish, search } from '../directory/client.js'
import { getTorrent } from '../directory/get-via-cli.js'
import { defaultDbPath, ensureParentDir, readAllowList } from '../directory/paths.js'
import { integerOption, portOption } from '../options.js'
import { printJson, printLine } from '../output.js'
import { formatBytes } from '../progress.js'

/**
 * The directory (the Napster role, as BitTorrent has it): `plexus directory` runs the tracker
 * + index + web pages; `plexus publish` and `plexus search` are its clients.
 */
export function registerDirectory(program: Command): void {
  registerServer(program)
  registerPublish(program)
  registerSearch(program)
}

interface ServerOptions {
  readonly port: number
  readonly bind: string
  readonly db?: string
  readonly allowList?: string
  readonly publicUrl?: string
  readonly persistEvery: number
  readonly rateLimit: number
  readonly json?: boolean
}

function registerServer(program: Command): void {
  program
    .command('directory')
    .description('run a directory: BitTorrent tracker (HTTP + UDP), searchable index, web pages')
    .option('--port <n>', 'HTTP and UDP port (0 picks one)', portOption, 6969)
    .option('--bind <addr>', "address to listen on ('::' for IPv6 and IPv4)", '127.0.0.1')
    .option('--db <file>', `the index (default ${defaultDbPath()})`)
    .option('--allow-list <file>', 'track only these info-hashes (one per line) and published ones')
    .option('--public-url <url>', 'the URL clients reach this directory at (default: Host header)')
    .option(
      '--persist-every <s>',
      'seconds between writes of tracker counts to the index',
      integerOption('persist-every', 1, 3600),
      10,
    )
    .option(
      '--rate-limit <n>',
      'tracker requests per second per source address, bursts of 10x (0 = no limit)',
      integerOption('rate-limit', 0, 1_000_000),
      20,
    )
    .option('--json', 'print the listening event as a JSON line')
    .action(async (options: ServerOptions) => {
      const dbPath =
        options.db === undefined
          ? defaultDbPath()
          : options.db === ':memory:'
            ? options.db
            : resolve(options.db)
      await ensureParentDir(dbPath)
      const allowList =
        options.allowList === undefined ? undefined : await readAllowList(options.allowList)
      // Loaded here: fastify and SQLite would cost every other command's start-up.
      const { startDirectory } = await import('../../drivers/directory/server.js')
      const directory = await startDirectory({
        port: options.port,
        bind: options.bind,
        dbPath,
        ...(allowList === undefined ? {} : { allowList }),
        ...(options.publicUrl === undefined ? {} : { publicUrl: directoryBase(options.publicUrl) }),
        persistEveryMs: options.persistEvery * 1000,
        trackerConfig: {
          rateLimit: {
            perSecond: options.rateLimit,
            burst: options.rateLimit * 10,
            sourcesMax: 65_536,
          },
        },
        log: new NodeLog({ level: 'warn' }),
      })
      const torrents = directory.db.count()
      if (options.json === true) {
        printJson({
          type: 'listening',
          event: 'listening',
          http: directory.httpPort,
          udp: directory.udpPorts[0],
          udpPorts: directory.udpPorts,
          url: directory.url,
          announce: directory.announceUrls,
          db: dbPath,
          torrents,
        })
      } else {
        printLine(`directory: ${directory.url}/ (${torrents} torrents in ${dbPath})`)
        printLine(`tracker: ${directory.announceUrls.join('  ')}`)
      }
      await new Promise<void>((done) => {
        process.once('SIGINT', done)
        process.once('SIGTERM', done)
      })
      await directory.close()
      if (options.json === true) printJson({ type: 'closed', event: 'closed' })
    })
}

function registerPublish(program: Command): void {
  program
    .command('publish')
    .description('publish a .torrent to a directory')
    .argument('<torrent>', '.torrent file')
    .requiredOption('--directory <url>', 'the directory, e.g. http://127.0.0.1:6969')
    .option('--uploader <name>', 'the name shown as "published by"')
    .option('--json', 'print the answer as JSON')
    .action(
      async (file: string, options: { directory: string; uploader?: string; json?: boolean }) => {
        const base = directoryBase(options.directory)
        const bytes = await readFile(file).catch((error: Error) => {
          throw new Error(`cannot read ${file}: ${error.message}`)
        })
        const answer = await publish(base, bytes, options.uploader)
        if (options.json === true) {
          printJson({ type: 'published', created: answer.created, torrent: answer.torrent })
          return
        }
        const t = answer.torrent
        printLine(`${answer.created ? 'published' : 'already listed'}: ${t.name} (${t.infoHash})`)
        printLine(`${base}/torrent/${t.infoHash}`)
      },
    )
}

interface SearchOptions {
  readonly directory: string
  readonly sort?: string
  readonly order?: string
  readonly limit: number
  readonly json?: boolean
  readonly get?: number
  readonly output?: string
}

const sortOption = (text: string): string => {
  if (!(SORT_COLUMNS as readonly string[]).includes(text)) {
    throw new InvalidArgumentError(`--sort must be one of ${SORT_COLUMNS.join(', ')}`)
  }
  return text
}

function registerSearch(program: Command): void {
  program
    .command('search')
    .description("search a directory's index; --get N downloads result N like `plexus get`")
    .argument('<keywords...>', 'words to find in names and file paths (prefixes match)')
    .requiredOption('--directory <url>', 'the directory, e.g. http://127.0.0.1:6969')
    .option('--sort <col>', `sort by ${SORT_COLUMNS.join(', ')} (default added)`, sortOption)
    .option('--order <dir>', 'asc or desc (default: desc, asc for name)')
    .option('--limit <n>', 'results to list', integerOption('limit', 1, 500), 20)
    .option('--json', 'print the results (and --get events) as JSON lines')
    .option('--get <n>', 'download result n (1 = first listed)', integerOption('get', 1, 500))
    .option(
      '-o, --output <dir>',
      'with --get: the folder to download into (default: the current one)',
    )
    .action(async (keywords: string[], options: SearchOptions, command: Command) => {
      if (options.order !== undefined && options.order !== 'asc' && options.order !== 'desc') {
        command.error('error: --order must be asc or desc', { exitCode: 2 })
      }
      const base = directoryBase(options.directory)
      const results = await search(base, keywords.join(' '), {
        ...(options.sort === undefined ? {} : { sort: options.sort }),
        ...(options.order === undefined ? {} : { order: options.order }),
        limit: options.limit,
      })
      if (options.json === true) printJson({ type: 'results', results })
      else if (results.length === 0) printLine('no matches')
      else {
        results.forEach((t, index) => {
          printLine(
            `${String(index + 1).padStart(3)}. ${t.name}  ${formatBytes(t.length)}  ` +
              `seeds ${t.seeders}  leechers ${t.leechers}  ${t.infoHash}`,
          )
        })
      }
      if (options.get === undefined) return
      const chosen = results[options.get - 1]
      if (chosen === undefined) {
        throw new Error(`--get ${options.get}: only ${results.length} result(s) listed`)
      }
      const torrent = await fetchTorrent(base, chosen.infoHash)
      await getTorrent(
        torrent,
        resolve(options.output ?? '.'),
        options.json === true ? ['--json'] : [],
      )
    })
}
