import { useMemo, useState } from 'preact/hooks'
import { formatRate } from '../model/format.js'
import { ApiClient } from './api.js'
import { DhtView } from './dht-view.js'
import { Notice, type NoticeState } from './notice.js'
import { forgetToken, takeToken } from './session-token.js'
import { PluginsView } from './plugins-view.js'
import { SettingsView } from './settings-view.js'
import { applyTheme, nextTheme, savedTheme, type Theme } from './theme.js'
import { TorrentDetailView } from './torrent-detail.js'
import { TorrentsView } from './torrents-view.js'
import { useDaemon } from './use-daemon.js'

export type View =
  | { readonly kind: 'torrents' }
  | { readonly kind: 'torrent'; readonly infoHash: string }
  | { readonly kind: 'dht' }
  | { readonly kind: 'settings' }
  | { readonly kind: 'plugins' }

const HOW_TO =
  'Run `plexus ui` on the machine of the daemon and open the URL it prints: it carries the token.'

export function App() {
  const token = useMemo(takeToken, [])
  if (token === undefined) {
    return <Refused title="No API token" detail={`This page needs the daemon's token. ${HOW_TO}`} />
  }
  return <Dashboard token={token} />
}

function Refused({ title, detail }: { title: string; detail: string }) {
  return (
    <main class="refused" role="alert">
      <h1>{title}</h1>
      <p>{detail}</p>
    </main>
  )
}

function Dashboard({ token }: { token: string }) {
  const api = useMemo(() => new ApiClient(token), [token])
  const daemon = useDaemon(api)
  const [view, setView] = useState<View>({ kind: 'torrents' })
  const [theme, setTheme] = useState<Theme>(savedTheme)
  const [notice, setNotice] = useState<NoticeState | undefined>(undefined)

  if (daemon.status === 'refused') {
    forgetToken()
    return (
      <Refused
        title="The daemon refused this token (401 Unauthorized)"
        detail={`The token is wrong or from an earlier run of the daemon. ${HOW_TO}`}
      />
    )
  }
  const toggleTheme = (): void => {
    const next = nextTheme(theme)
    applyTheme(next)
    setTheme(next)
  }
  const tab = (kind: 'torrents' | 'dht' | 'plugins' | 'settings', label: string) => {
    const current = view.kind === kind || (kind === 'torrents' && view.kind === 'torrent')
    return (
      <button
        type="button"
        class="tab"
        aria-current={current ? 'page' : undefined}
        onClick={() => setView({ kind })}
      >
        {label}
      </button>
    )
  }
  const report = (error: unknown): void =>
    setNotice({ kind: 'error', text: error instanceof Error ? error.message : String(error) })

  return (
    <div class="shell">
      <header class="top">
        <span class="brand">plexus</span>
        <nav aria-label="Views">
          {tab('torrents', 'Torrents')}
          {tab('dht', 'DHT')}
          {tab('plugins', 'Plug-ins')}
          {tab('settings', 'Settings')}
        </nav>
        <span class="totals" aria-label="Total rates">
          <span title="download">↓ {formatRate(daemon.totals?.downloadRate ?? 0)}</span>
          <span title="upload">↑ {formatRate(daemon.totals?.uploadRate ?? 0)}</span>
        </span>
        <span class={`link link-${daemon.status}`} role="status">
          {daemon.status === 'live' ? 'live' : daemon.status === 'lost' ? 'reconnecting…' : '…'}
        </span>
        <button
          type="button"
          class="theme"
          onClick={toggleTheme}
          aria-label={`Colour scheme: ${theme} (change)`}
        >
          {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
        </button>
      </header>
      {notice !== undefined && <Notice notice={notice} onClose={() => setNotice(undefined)} />}
      <main>
        {view.kind === 'torrents' && (
          <TorrentsView
            api={api}
            daemon={daemon}
            onOpen={(infoHash) => setView({ kind: 'torrent', infoHash })}
            onError={report}
          />
        )}
        {view.kind === 'torrent' && (
          <TorrentDetailView
            api={api}
            daemon={daemon}
            infoHash={view.infoHash}
            onBack={() => setView({ kind: 'torrents' })}
            onError={report}
          />
        )}
        {view.kind === 'dht' && <DhtView api={api} onError={report} />}
        {view.kind === 'plugins' && <PluginsView api={api} onError={report} />}
        {view.kind === 'settings' && <SettingsView api={api} onError={report} />}
      </main>
    </div>
  )
}
