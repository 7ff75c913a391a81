import { toHex } from '../../core/bytes.js'
import type { Random } from '../../core/random.js'
import type { SwarmCounts } from './index-db.js'
import type { TorrentRecord } from './record.js'

/**
 * Plausible fake torrents for filling an index (the search benchmark): names and paths made of
 * words from a small vocabulary with a Zipf-like skew, so that some keywords match a large
 * share of the index (the hard case for a sorted search) and others a handful of rows.
 */
const WORDS = (
  'ubuntu debian fedora arch linux kernel server desktop amd64 arm64 iso live netinst ' +
  'documentary lecture course physics chemistry biology history music album live concert ' +
  'symphony orchestra piano guitar jazz blues podcast episode season archive dataset images ' +
  'maps openstreetmap planet europe asia africa america wikipedia dump books public domain ' +
  'gutenberg novel poetry collection film classic silent nosferatu metropolis trailer sample ' +
  'game engine source release beta alpha patch update firmware router backup photos video ' +
  'résumé café naïve über straße 東京 データ'
).split(' ')

const EXTENSIONS = ['iso', 'mkv', 'mp3', 'flac', 'pdf', 'txt', 'zip', 'tar', 'jpg', 'csv']

function word(random: Random): string {
  // Squaring a uniform draw favours the front of the list: a skewed, Zipf-like popularity.
  const u = random.float()
  return WORDS[Math.floor(u * u * WORDS.length)] as string
}

function phrase(random: Random, words: number): string {
  const parts: string[] = []
  for (let i = 0; i < words; i++) parts.push(word(random))
  return parts.join(' ')
}

/** `count` synthetic records, generated lazily (a million never sit in memory at once). */
export function* syntheticTorrents(random: Random, count: number, now: number) {
  for (let i = 0; i < count; i++) {
    const fileCount = 1 + random.int(3)
    const files: { path: string; size: number }[] = []
    for (let f = 0; f < fileCount; f++) {
      const extension = EXTENSIONS[random.int(EXTENSIONS.length)] as string
      files.push({
        path: `${phrase(random, 2).replaceAll(' ', '-')}-${f}.${extension}`,
        size: 1 + random.int(2 ** 30),
      })
    }
    const seeders = Math.floor(random.float() ** 4 * 5000)
    const record: TorrentRecord & { counts: SwarmCounts } = {
      infoHash: toHex(random.bytes(20)),
      name: `${phrase(random, 2 + random.int(4))} ${1990 + random.int(36)}`,
      size: files.reduce((sum, file) => sum + file.size, 0),
      pieceLength: 2 ** (18 + random.int(5)),
      files,
      uploader: `user${random.int(5000)}`,
      // Publish order: spread over three years, oldest first, as ids are assigned.
      added: now - Math.round(((count - i) / count) * 3 * 365 * 24 * 3600) * 1000,
      counts: { seeders, leechers: random.int(seeders + 10), completed: seeders * random.int(20) },
    }
    yield record
  }
}
