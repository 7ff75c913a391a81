import { useState } from 'preact/hooks'
import type { ApiClient } from './api.js'

interface Props {
  readonly api: ApiClient
  readonly onAdded: () => void
  readonly onCancel: () => void
}

type Source = 'magnet' | 'file' | 'directory'

/** Adds a torrent: a magnet link, a .torrent file, or a search result of a plexus directory. */
export function AddPanel({ api, onAdded, onCancel }: Props) {
  const [source, setSource] = useState<Source>('magnet')
  const [magnet, setMagnet] = useState('')
  const [file, setFile] = useState<File | undefined>(undefined)
  const [directory, setDirectory] = useState('')
  const [infoHash, setInfoHash] = useState('')
  const [paused, setPaused] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | undefined>(undefined)

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      if (source === 'magnet') await api.addMagnet(magnet.trim(), paused)
      else if (source === 'directory') {
        await api.addFromDirectory(directory.trim(), infoHash.trim(), paused)
      } else if (file !== undefined) await api.addTorrentFile(await file.arrayBuffer(), paused)
      else throw new Error('choose a .torrent file')
      onAdded()
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="panel add" onSubmit={(e) => void submit(e)} aria-label="Add a torrent">
      <fieldset class="choices">
        <legend>Source</legend>
        {(['magnet', 'file', 'directory'] as const).map((s) => (
          <label key={s}>
            <input
              type="radio"
              name="source"
              value={s}
              checked={source === s}
              onChange={() => setSource(s)}
            />
            {s === 'magnet' ? 'Magnet link' : s === 'file' ? '.torrent file' : 'Directory'}
          </label>
        ))}
      </fieldset>
      {source === 'magnet' && (
        <label class="field">
          Magnet link
          <input
            type="text"
            name="magnet"
            required
            autoFocus
            placeholder="magnet:?xt=urn:btih:…"
            value={magnet}
            onInput={(e) => setMagnet(e.currentTarget.value)}
          />
        </label>
      )}
      {source === 'file' && (
        <label class="field">
          .torrent file
          <input
            type="file"
            name="torrent"
            accept=".torrent,application/x-bittorrent"
            required
            onChange={(e) => setFile(e.currentTarget.files?.[0])}
          />
        </label>
      )}
      {source === 'directory' && (
        <>
          <label class="field">
            Directory URL
            <input
              type="url"
              required
              placeholder="http://127.0.0.1:6969"
              value={directory}
              onInput={(e) => setDirectory(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            Info-hash of the search result
            <input
              type="text"
              required
              pattern="[0-9a-fA-F]{40}"
              value={infoHash}
              onInput={(e) => setInfoHash(e.currentTarget.value)}
            />
          </label>
        </>
      )}
      <label class="check">
        <input
          type="checkbox"
          checked={paused}
          onChange={(e) => setPaused(e.currentTarget.checked)}
        />
        Add paused
      </label>
      {error !== undefined && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add'}
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  )
}
