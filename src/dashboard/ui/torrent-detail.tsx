import type { TorrentDetail } from '../model/api-types.js'
import { formatBytes, formatPercent, formatRate, formatRatio } from '../model/format.js'
import { TOTAL } from '../model/rate-history.js'
import { progressOf, ratioOf, STATE_LABELS } from '../model/torrents.js'
import type { ApiClient } from './api.js'
import { FilesTable, userFiles } from './files-table.js'
import { PeersTable } from './peers-table.js'
import { PieceMap } from './piece-map.js'
import { ProgressBar } from './progress-bar.js'
import { RateChart } from './rate-chart.js'
import { TrackersTable } from './trackers-table.js'
import type { DaemonState } from './use-daemon.js'
import { usePolling } from './use-polling.js'

interface Props {
  readonly api: ApiClient
  readonly daemon: DaemonState
  readonly infoHash: string
  readonly onBack: () => void
  readonly onError: (error: unknown) => void
}

/** One torrent: summary, rate chart, piece map, files, peers, trackers. */
export function TorrentDetailView({ api, daemon, infoHash, onBack, onError }: Props) {
  const detail = usePolling(() => api.detail(infoHash), 1000, infoHash, onError)
  const t: TorrentDetail | undefined = detail.value
  // The piece map and the peers' flags come from the live swarm, a little less often.
  const pieces = usePolling(() => api.pieces(infoHash), 2000, infoHash, onError).value
  const swarm = usePolling(() => api.swarm(infoHash), 2000, infoHash, onError).value
  return (
    <section aria-labelledby="detail-title" class="detail">
      <div class="toolbar">
        <button type="button" onClick={onBack}>
          ← Torrents
        </button>
        <h1 id="detail-title">{t?.name ?? infoHash}</h1>
      </div>
      {t === undefined ? (
        <p class="empty">Loading…</p>
      ) : (
        <>
          <dl class="summary">
            <Item term="State" value={STATE_LABELS[t.state]} />
            <Item term="Size" value={t.length === 0 ? '—' : formatBytes(t.length)} />
            <Item term="Done" value={formatPercent(progressOf(t))} />
            <Item
              term="Pieces"
              value={`${t.piecesVerified} / ${t.pieces} × ${formatBytes(t.pieceLength)}`}
            />
            <Item term="Down" value={formatRate(t.downloadRate)} />
            <Item term="Up" value={formatRate(t.uploadRate)} />
            <Item term="Downloaded" value={formatBytes(t.downloadedBytes)} />
            <Item term="Uploaded" value={formatBytes(t.uploadedBytes)} />
            <Item term="Ratio" value={formatRatio(ratioOf(t))} />
            <Item term="Saved in" value={t.saveDir === '' ? '(download dir)' : t.saveDir} />
            <Item term="Info-hash" value={t.infoHash} wide />
          </dl>
          {t.error !== undefined && (
            <p class="error-text" role="alert">
              {t.error}
            </p>
          )}
          <ProgressBar
            fraction={progressOf(t)}
            label={`${t.name}: ${formatPercent(progressOf(t))}`}
          />
          <div class="cards">
            <section class="card" aria-labelledby="rates-title">
              <h2 id="rates-title">Rates, last 5 minutes</h2>
              <RateChart
                samples={daemon.history.get(t.infoHash) ?? daemon.history.get(TOTAL) ?? []}
              />
            </section>
            <section class="card" aria-labelledby="pieces-title">
              <h2 id="pieces-title">Pieces</h2>
              <PieceMap map={pieces} />
            </section>
          </div>
          <section aria-labelledby="files-title">
            <h2 id="files-title">Files ({userFiles(t.files).length})</h2>
            <FilesTable
              files={t.files}
              onPriorities={(priorities) =>
                api.setPriorities(t.infoHash, priorities).then(
                  () => {
                    detail.reload()
                    return true
                  },
                  (error: unknown) => {
                    onError(error)
                    return false
                  },
                )
              }
            />
          </section>
          <section aria-labelledby="peers-title">
            <h2 id="peers-title">Peers ({swarm?.length ?? t.peerList.length})</h2>
            <PeersTable peers={swarm} />
          </section>
          <section aria-labelledby="trackers-title">
            <h2 id="trackers-title">Trackers ({t.trackers.length})</h2>
            <TrackersTable trackers={t.trackers} />
          </section>
        </>
      )}
    </section>
  )
}

function Item({ term, value, wide }: { term: string; value: string; wide?: boolean }) {
  return (
    <div class={wide === true ? 'wide mono' : undefined}>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </div>
  )
}
