import { useState } from 'preact/hooks'
import type { TorrentStatus } from '../model/api-types.js'
import {
  filterTorrents,
  sortTorrents,
  STATE_FILTERS,
  type Sort,
  type StateFilter,
} from '../model/torrents.js'
import { AddPanel } from './add-panel.js'
import type { ApiClient } from './api.js'
import { RemoveDialog } from './remove-dialog.js'
import { TorrentTable } from './torrent-table.js'
import type { DaemonState } from './use-daemon.js'

interface Props {
  readonly api: ApiClient
  readonly daemon: DaemonState
  readonly onOpen: (infoHash: string) => void
  readonly onError: (error: unknown) => void
}

/** The torrents: filter, sort, add, and the actions on each. */
export function TorrentsView({ api, daemon, onOpen, onError }: Props) {
  const [text, setText] = useState('')
  const [state, setState] = useState<StateFilter>('all')
  const [sort, setSort] = useState<Sort>({ key: 'name', descending: false })
  const [adding, setAdding] = useState(false)
  const [removing, setRemoving] = useState<TorrentStatus | undefined>(undefined)

  const act = (action: Promise<unknown>): void => {
    action.then(daemon.refresh, onError)
  }
  const all = daemon.torrents ?? []
  const shown = sortTorrents(filterTorrents(all, text, state), sort)

  return (
    <section aria-labelledby="torrents-title">
      <div class="toolbar">
        <h1 id="torrents-title">Torrents</h1>
        <input
          type="search"
          placeholder="Filter by name or info-hash"
          aria-label="Filter by name or info-hash"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        <select
          aria-label="Show"
          value={state}
          onChange={(e) => setState(e.currentTarget.value as StateFilter)}
        >
          {STATE_FILTERS.map((f) => (
            <option value={f} key={f}>
              {f[0]?.toUpperCase()}
              {f.slice(1)}
            </option>
          ))}
        </select>
        <button
          type="button"
          class="primary"
          aria-expanded={adding}
          onClick={() => setAdding(!adding)}
        >
          Add torrent
        </button>
      </div>
      {adding && (
        <AddPanel
          api={api}
          onAdded={() => {
            setAdding(false)
            daemon.refresh()
          }}
          onCancel={() => setAdding(false)}
        />
      )}
      {daemon.torrents === undefined ? (
        <p class="empty">Connecting to the daemon…</p>
      ) : all.length === 0 ? (
        <p class="empty">No torrents yet: add one with a magnet link or a .torrent file.</p>
      ) : shown.length === 0 ? (
        <p class="empty">No torrent matches the filter.</p>
      ) : (
        <TorrentTable
          torrents={shown}
          sort={sort}
          onSort={setSort}
          onOpen={onOpen}
          onPause={(t) => act(api.pause(t.infoHash))}
          onResume={(t) => act(api.resume(t.infoHash))}
          onRemove={setRemoving}
        />
      )}
      {removing !== undefined && (
        <RemoveDialog
          torrent={removing}
          onConfirm={(deleteData) => {
            setRemoving(undefined)
            act(api.remove(removing.infoHash, deleteData))
          }}
          onCancel={() => setRemoving(undefined)}
        />
      )}
    </section>
  )
}
