import { useEffect, useState } from 'preact/hooks'
import type { Settings } from '../model/api-types.js'
import { formatRate } from '../model/format.js'
import type { ApiClient } from './api.js'

interface Props {
  readonly api: ApiClient
  readonly onError: (error: unknown) => void
}

const KIB = 1024

/**
 * The global rate limits, in KiB/s as `plexus limits` takes them (0 lifts a limit), the
 * connection limit, the listen port and the DHT on/off, all changed at run time.
 */
export function SettingsView({ api, onError }: Props) {
  const [settings, setSettings] = useState<Settings | undefined>(undefined)
  const [down, setDown] = useState('')
  const [up, setUp] = useState('')
  const [connections, setConnections] = useState('')
  const [port, setPort] = useState('')
  const [dht, setDht] = useState(false)
  const [saved, setSaved] = useState(false)
  const show = (s: Settings): void => {
    setSettings(s)
    setDown(String(Math.round(s.downloadRateLimit / KIB)))
    setUp(String(Math.round(s.uploadRateLimit / KIB)))
    setConnections(String(s.connectionsMax))
    setPort(String(s.listenPort))
    setDht(s.dhtEnabled)
  }
  useEffect(() => {
    api.settings().then(show, onError)
  }, [api])

  const save = (event: Event): void => {
    event.preventDefault()
    setSaved(false)
    api
      .setSettings({
        downloadRateLimit: Math.round(Number(down) * KIB),
        uploadRateLimit: Math.round(Number(up) * KIB),
        connectionsMax: Number(connections),
        listenPort: Number(port),
        dhtEnabled: dht,
      })
      .then((s) => {
        show(s)
        setSaved(true)
      }, onError)
  }
  const describe = (bytes: number): string => (bytes === 0 ? 'unlimited' : formatRate(bytes))

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      {settings === undefined ? (
        <p class="empty">Loading…</p>
      ) : (
        <form class="panel" onSubmit={save}>
          <label class="field">
            Download limit (KiB/s, 0 = unlimited; now {describe(settings.downloadRateLimit)})
            <input
              type="number"
              name="downloadLimit"
              min={0}
              step={1}
              value={down}
              onInput={(e) => setDown(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            Upload limit (KiB/s, 0 = unlimited; now {describe(settings.uploadRateLimit)})
            <input
              type="number"
              name="uploadLimit"
              min={0}
              step={1}
              value={up}
              onInput={(e) => setUp(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            Connection limit (peer connections at most, shared by the running torrents; now{' '}
            {settings.connectionsMax})
            <input
              type="number"
              name="connectionsMax"
              min={1}
              step={1}
              value={connections}
              onInput={(e) => setConnections(e.currentTarget.value)}
            />
          </label>
          <label class="field">
            Peer listen port (TCP, 0 picks a free one; now {settings.listenPort})
            <input
              type="number"
              name="listenPort"
              min={0}
              max={65535}
              step={1}
              value={port}
              onInput={(e) => setPort(e.currentTarget.value)}
            />
          </label>
          <label class="check">
            <input
              type="checkbox"
              name="dhtEnabled"
              checked={dht}
              onChange={(e) => setDht(e.currentTarget.checked)}
            />{' '}
            DHT (now {settings.dhtEnabled ? `on, UDP port ${settings.dhtPort ?? '?'}` : 'off'})
          </label>
          <p class="hint">
            These last until the daemon restarts; its config file keeps the defaults. A new port or
            a DHT turned on or off reopens the running torrents, which then announce anew.
          </p>
          <div class="buttons">
            <button type="submit" class="primary">
              Save
            </button>
            {saved && <span role="status">Saved.</span>}
          </div>
        </form>
      )}
    </section>
  )
}
