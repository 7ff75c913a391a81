import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NodeDisk } from '../../src/drivers/node/disk.js'
import { SimDisk } from '../../src/sim/disk/sim-disk.js'
import { diskConformance } from './disk-suite.js'

const freshDirectory = () => {
  const directory = mkdtempSync(join(tmpdir(), 'plexus-disk-'))
  return { directory, cleanup: () => rmSync(directory, { recursive: true, force: true }) }
}

diskConformance('NodeDisk', () => {
  const { directory, cleanup } = freshDirectory()
  return { disk: new NodeDisk(), root: directory, cleanup }
})

diskConformance('NodeDisk with a root', () => {
  const { directory, cleanup } = freshDirectory()
  return { disk: new NodeDisk({ root: directory }), root: '', cleanup }
})

diskConformance('SimDisk', () => ({
  disk: new SimDisk({ defer: (fn) => setImmediate(fn) }),
  root: 'volume/data',
  cleanup: () => {},
}))
