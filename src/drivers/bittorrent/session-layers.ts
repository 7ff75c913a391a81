/**
 * A session's side of BEP 52 piece layers fetched for a magnet (`storage/stored-layers.ts`):
 * the layers an earlier run stored are loaded into the map the swarm and storage share before
 * the files are checked, and all of them are stored again once the swarm has fetched the rest.
 */
import type { Env } from '../../core/env.js'
import type { Metainfo } from '../../protocols/bittorrent/metainfo/index.js'
import {
  loadStoredLayers,
  saveStoredLayers,
  type AtomicWrite,
  type ResumeStore,
} from '../../protocols/bittorrent/storage/index.js'
import { writeFileAtomic } from '../disk-atomic.js'

/** Adds the stored layers that prove their roots to `layers`; warns about the others. */
export function loadSessionLayers(
  env: Pick<Env, 'hashing' | 'log'>,
  store: ResumeStore,
  m: Metainfo,
  layers: Map<string, Uint8Array>,
  done: () => void,
): void {
  loadStoredLayers(store, m, env.hashing, (stored) => {
    for (const [root, layer] of stored.layers) layers.set(root, layer)
    if (stored.discarded.length > 0) {
      env.log.log('warn', 'stored piece layers that do not prove their root are discarded', {
        files: stored.discarded.join(', '),
      })
    }
    done()
  })
}

/** Stores `m.pieceLayers` (every layer, once fetched); a failure is only logged. */
export function saveSessionLayers(env: Pick<Env, 'log'>, store: ResumeStore, m: Metainfo): void {
  const write: AtomicWrite = (path, bytes, written) =>
    writeFileAtomic(store.disk, path, bytes, written)
  saveStoredLayers(store, m, m.pieceLayers, write, (saved) => {
    // Not fatal: a restart fetches the layers again.
    if (!saved.ok) {
      env.log.log('warn', 'piece layers could not be stored', { error: saved.error.message })
    }
  })
}
