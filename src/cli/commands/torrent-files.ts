import type { Command } from 'commander'
import { readFile, writeFile } from 'node:fs/promises'
import { NodeHashing } from '../../drivers/node/hashing.js'
import { createTorrent } from '../../drivers/bittorrent/create-torrent.js'
import {
  formatMagnet,
  parseMagnet,
  parseMetainfo,
  type Magnet,
  type Metainfo,
  type MetaVersion,
} from '../../protocols/bittorrent/metainfo/index.js'
import { integerOption, urlOption } from '../options.js'
import { EXIT_FAILURE, printError, printJson, printLine } from '../output.js'

/** `plexus create` and `plexus info`: making and reading .torrent files and magnet links. */
export function registerTorrentFiles(program: Command): void {
  program
    .command('create')
    .description('create a .torrent for a file or directory (hashing on worker threads)')
    .argument('<path>', 'file or directory to share')
    .option(
      '-t, --tracker <url>',
      'announce URL: http(s):// or udp:// (repeat for several tiers)',
      collectTracker,
      [],
    )
    .option('-o, --output <file>', 'where to write the .torrent (default: <name>.torrent)')
    .option('--piece-length <bytes>', 'piece length (default: planned from the size)', pieceLength)
    .option('--private', 'set the private flag (BEP 27)')
    .option('--comment <text>', 'comment')
    .option('--web-seed <url>', 'BEP 19 web seed, http(s):// (repeatable)', collectWebSeed, [])
    .option('--no-date', 'leave out the creation date (reproducible torrents)')
    .option(
      '--hybrid',
      'v1 and v2 (BEP 52) in one torrent (the default, as libtorrent); Transmission before 4.0 cannot read it',
    )
    .option('--v2', 'v2 only (BEP 52): SHA-256 merkle trees; v1-only clients cannot join')
    .option('--v1', 'v1 only (BEP 3): SHA-1 pieces, no v2 peers; read by every client')
    .option('--json', 'print the result as JSON')
    .action(async (path: string, options: CreateOptions) => {
      const interactive = options.json !== true && process.stderr.isTTY
      const version = versionOption(options)
      const created = await createTorrent(path, {
        version,
        trackers: options.tracker,
        webSeeds: options.webSeed,
        ...(options.pieceLength === undefined ? {} : { pieceLength: options.pieceLength }),
        ...(options.private === true ? { private: true } : {}),
        ...(options.comment === undefined ? {} : { comment: options.comment }),
        ...(options.date === false ? {} : { creationDate: Math.floor(Date.now() / 1000) }),
        ...(interactive
          ? { onProgress: (done: number, total: number) => void showHashing(done, total) }
          : {}),
      })
      if (interactive) process.stderr.write('\n')
      const output = options.output ?? `${created.name}.torrent`
      await writeFile(output, created.torrent)
      const parsed = parseMetainfo(created.torrent, new NodeHashing())
      if (!parsed.ok)
        throw new Error(`internal: created torrent does not parse: ${parsed.error.message}`)
      const skipped = created.skipped
      if (options.json === true) printJson({ output, ...describeMetainfo(parsed.value), skipped })
      else {
        // What the torrent leaves out goes to stderr, one line each, before the result.
        for (const entry of skipped) {
          const what = entry.reason === 'symlink' ? 'symbolic link' : 'not a regular file'
          process.stderr.write(`skipped ${entry.path} (${what})\n`)
        }
        const v2 = parsed.value.infoHashV2Hex
        const hashes = [
          ...(parsed.value.version === 'v2' ? [] : [`v1 ${parsed.value.infoHashHex}`]),
          ...(v2 === undefined ? [] : [`v2 ${v2}`]),
        ].join(', ')
        printLine(`${output}: ${hashes} (${created.version}, ${created.pieceCount} pieces)`)
      }
    })

  program
    .command('info')
    .description('show what a .torrent file or magnet link describes')
    .argument('<torrent>', '.torrent file or magnet: link')
    .option('--json', 'print as one JSON object')
    .action(async (source: string, options: { json?: boolean }) => {
      const described = await describeSource(source)
      if (typeof described === 'string') {
        printError(described)
        process.exitCode = EXIT_FAILURE
        return
      }
      if (options.json === true) printJson(described)
      else for (const line of formatDescription(described)) printLine(line)
    })
}

interface CreateOptions {
  readonly tracker: string[]
  readonly output?: string
  readonly pieceLength?: number
  readonly private?: boolean
  readonly comment?: string
  readonly webSeed: string[]
  readonly date: boolean
  readonly hybrid?: boolean
  readonly v1?: boolean
  readonly v2?: boolean
  readonly json?: boolean
}

/** `--v1`, `--v2` or `--hybrid` (the default); more than one is a usage error. */
function versionOption(options: CreateOptions): MetaVersion {
  const chosen = (['v1', 'v2', 'hybrid'] as const).filter((v) => options[v] === true)
  if (chosen.length > 1) {
    throw new Error(`choose one of --v1, --v2, --hybrid (not ${chosen.join(' and ')})`)
  }
  return chosen[0] ?? 'hybrid'
}

const collectTracker = (value: string, previous: string[]): string[] => [
  ...previous,
  urlOption('--tracker', ['http:', 'https:', 'udp:'])(value),
]
const collectWebSeed = (value: string, previous: string[]): string[] => [
  ...previous,
  urlOption('--web-seed', ['http:', 'https:'])(value),
]
const pieceLength = integerOption('piece-length', 16 * 1024, 512 * 1024 * 1024)
const showHashing = (done: number, total: number): boolean =>
  process.stderr.write(`\rhashing ${percent(done, total)}`)
const percent = (done: number, total: number): string => `${((100 * done) / total).toFixed(1)}%`

type Description = Record<string, unknown> & { readonly infoHash: string }

/**
 * `length` counts the content only; BEP 47 padding files (which no client writes) are listed
 * with `pad: true` and summed in `padLength`, so the files add up to the torrent's payload.
 */
export function describeMetainfo(m: Metainfo): Description {
  const padLength = m.files.reduce((sum, f) => sum + (f.pad ? f.length : 0), 0)
  return {
    infoHash: m.infoHashHex,
    version: m.version,
    ...(m.version === 'v2' ? {} : { infoHashV1: m.infoHashHex }),
    ...(m.infoHashV2Hex === undefined ? {} : { infoHashV2: m.infoHashV2Hex }),
    name: m.name,
    length: m.totalLength - padLength,
    padLength,
    pieceLength: m.pieceLength,
    pieces: m.pieceCount,
    private: m.private,
    files: m.files.map((f) => ({
      path: f.path.join('/'),
      length: f.length,
      ...(f.pad ? { pad: true } : {}),
    })),
    announceList: m.announceList,
    urlList: m.urlList,
    ...(m.comment === undefined ? {} : { comment: m.comment }),
    ...(m.createdBy === undefined ? {} : { createdBy: m.createdBy }),
    ...(m.creationDate === undefined ? {} : { creationDate: m.creationDate }),
    magnet: formatMagnet({
      infoHash: m.infoHash,
      infoHashV2: m.infoHashV2,
      displayName: m.name,
      trackers: m.announceList.flat(),
    }),
  }
}

function describeMagnet(m: Magnet): Description {
  const v2 = m.infoHashV2Hex
  return {
    infoHash: m.infoHashHex,
    version: v2 === undefined ? 'v1' : m.infoHashHex === v2.slice(0, 40) ? 'v2' : 'hybrid',
    ...(v2 === undefined ? {} : { infoHashV2: v2 }),
    name: m.displayName ?? null,
    trackers: m.trackers,
    peers: m.peers.map((p) => `${p.host}:${p.port}`),
    webSeeds: m.webSeeds,
    magnet: formatMagnet(m),
  }
}

/** A parsed .torrent or magnet, or a message saying why it is not one. */
export async function describeSource(source: string): Promise<Description | string> {
  if (source.startsWith('magnet:')) {
    const magnet = parseMagnet(source)
    return magnet.ok ? describeMagnet(magnet.value) : `bad magnet link: ${magnet.error.message}`
  }
  let bytes: Uint8Array
  try {
    bytes = await readFile(source)
  } catch (error) {
    return `cannot read ${source}: ${(error as Error).message}`
  }
  const parsed = parseMetainfo(bytes, new NodeHashing())
  return parsed.ok ? describeMetainfo(parsed.value) : `${source}: ${parsed.error.message}`
}

function formatDescription(d: Description): string[] {
  const version = String(d['version'])
  const v2 = d['infoHashV2']
  const lines =
    version === 'v1'
      ? [`info-hash:    ${d.infoHash}`]
      : [
          ...(version === 'hybrid' ? [`info-hash v1: ${d.infoHash}`] : []),
          `info-hash v2: ${String(v2)}`,
          ...(version === 'v2' ? [`swarm hash:   ${d.infoHash} (v2, truncated)`] : []),
        ]
  lines.push(`version:      ${version === 'hybrid' ? 'hybrid (v1 + v2)' : version}`)
  lines.push(`name:         ${String(d['name'])}`)
  if (typeof d['length'] === 'number') {
    const padLength = Number(d['padLength'])
    const padding = padLength > 0 ? ` (+ ${padLength} bytes of padding files)` : ''
    lines.push(`size:         ${d['length']} bytes${padding}`)
    lines.push(`pieces:       ${String(d['pieces'])} x ${String(d['pieceLength'])} bytes`)
    const files = d['files'] as { path: string; length: number; pad?: boolean }[]
    const real = files.filter((file) => file.pad !== true).length
    const pads = files.length - real
    lines.push(`files:        ${real}${pads > 0 ? ` (and ${pads} padding files)` : ''}`)
    for (const file of files.slice(0, 20)) {
      const tag = file.pad === true ? ', padding' : ''
      lines.push(`  ${file.path} (${file.length} bytes${tag})`)
    }
    if (files.length > 20) lines.push(`  ... and ${files.length - 20} more`)
  }
  lines.push(`magnet:       ${String(d['magnet'])}`)
  return lines
}
