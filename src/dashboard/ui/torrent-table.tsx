import type { TorrentStatus } from '../model/api-types.js'
import {
  formatBytes,
  formatDuration,
  formatPercent,
  formatRate,
  formatRatio,
} from '../model/format.js'
import {
  etaOf,
  nextSort,
  progressOf,
  ratioOf,
  STATE_LABELS,
  type Sort,
  type SortKey,
} from '../model/torrents.js'
import { ProgressBar } from './progress-bar.js'

interface Props {
  readonly torrents: readonly TorrentStatus[]
  readonly sort: Sort
  readonly onSort: (sort: Sort) => void
  readonly onOpen: (infoHash: string) => void
  readonly onPause: (t: TorrentStatus) => void
  readonly onResume: (t: TorrentStatus) => void
  readonly onRemove: (t: TorrentStatus) => void
}

const COLUMNS: readonly { key: SortKey; label: string; numeric?: boolean }[] = [
  { key: 'name', label: 'Name' },
  { key: 'length', label: 'Size', numeric: true },
  { key: 'progress', label: 'Progress' },
  { key: 'state', label: 'State' },
  { key: 'downloadRate', label: 'Down', numeric: true },
  { key: 'uploadRate', label: 'Up', numeric: true },
  { key: 'ratio', label: 'Ratio', numeric: true },
  { key: 'peers', label: 'Peers', numeric: true },
  { key: 'eta', label: 'ETA', numeric: true },
]

/** The torrent list as a table; sortable headers are buttons, so the keyboard reaches them. */
export function TorrentTable(props: Props) {
  const { sort } = props
  return (
    <table class="torrents">
      <thead>
        <tr>
          {COLUMNS.map((c) => (
            <th
              key={c.key}
              class={c.numeric === true ? 'num' : undefined}
              aria-sort={
                sort.key === c.key ? (sort.descending ? 'descending' : 'ascending') : undefined
              }
            >
              <button type="button" onClick={() => props.onSort(nextSort(sort, c.key))}>
                {c.label}
                {sort.key === c.key ? (sort.descending ? ' ▾' : ' ▴') : ''}
              </button>
            </th>
          ))}
          <th>
            <span class="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.torrents.map((t) => (
          <Row key={t.infoHash} t={t} {...props} />
        ))}
      </tbody>
    </table>
  )
}

function Row({ t, onOpen, onPause, onResume, onRemove }: Props & { t: TorrentStatus }) {
  const eta = etaOf(t)
  const paused = t.state === 'paused' || t.state === 'error'
  return (
    <tr data-infohash={t.infoHash} data-state={t.state}>
      <td class="name" data-label="Name">
        <button type="button" class="link-button" onClick={() => onOpen(t.infoHash)}>
          {t.name}
        </button>
        {t.error !== undefined && <div class="error-text">{t.error}</div>}
      </td>
      <td class="num" data-label="Size">
        {t.length === 0 ? '—' : formatBytes(t.length)}
      </td>
      <td data-label="Progress">
        <ProgressBar
          fraction={progressOf(t)}
          label={`${t.name}: ${formatPercent(progressOf(t))}`}
        />
      </td>
      <td data-label="State">
        <span class={`state state-${t.state}`}>{STATE_LABELS[t.state]}</span>
      </td>
      <td class="num" data-label="Down">
        {formatRate(t.downloadRate)}
      </td>
      <td class="num" data-label="Up">
        {formatRate(t.uploadRate)}
      </td>
      <td class="num" data-label="Ratio">
        {formatRatio(ratioOf(t))}
      </td>
      <td class="num" data-label="Peers">
        {t.peers}
      </td>
      <td class="num" data-label="ETA">
        {eta === undefined ? (t.complete ? 'done' : '∞') : formatDuration(eta)}
      </td>
      <td class="actions">
        {paused ? (
          <button type="button" onClick={() => onResume(t)} aria-label={`Resume ${t.name}`}>
            Resume
          </button>
        ) : (
          <button type="button" onClick={() => onPause(t)} aria-label={`Pause ${t.name}`}>
            Pause
          </button>
        )}
        <button
          type="button"
          class="danger"
          onClick={() => onRemove(t)}
          aria-label={`Remove ${t.name}`}
        >
          Remove
        </button>
      </td>
    </tr>
  )
}
