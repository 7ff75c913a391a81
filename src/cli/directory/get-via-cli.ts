import { Command } from 'commander'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { registerTransfer } from '../commands/transfer.js'

/**
 * Downloads a .torrent's content exactly as `plexus get` does, by running the `get` command
 * itself in this process (a private commander program with the transfer commands), so that
 * search --get shares every option check, the session, the output and the exit code with it.
 */
export async function getTorrent(
  torrent: Uint8Array,
  output: string,
  extraArgs: readonly string[],
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'plexus-search-'))
  const file = join(dir, 'search.torrent')
  try {
    await writeFile(file, torrent)
    const program = new Command().name('plexus').exitOverride()
    registerTransfer(program)
    await program.parseAsync(['get', file, '--output', output, ...extraArgs], { from: 'user' })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
