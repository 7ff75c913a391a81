import type { TorrentFile } from '../model/api-types.js'
import { formatBytes, formatPercent } from '../model/format.js'
import { PRIORITY_LEVELS, priorityLabel, withPriority } from '../model/priorities.js'
import { ProgressBar } from './progress-bar.js'

interface Props {
  readonly files: readonly TorrentFile[]
  readonly onPriorities: (priorities: number[]) => void
}

/**
 * A torrent's files with their progress and a priority control each. Padding files are not
 * shown, but stay in `files`: a priority change sends one value per file, pads included.
 */
export function FilesTable({ files, onPriorities }: Props) {
  if (files.length === 0) return <p class="empty">The file list comes with the metadata.</p>
  return (
    <table class="files">
      <thead>
        <tr>
          <th>Path</th>
          <th class="num">Size</th>
          <th>Progress</th>
          <th>Priority</th>
        </tr>
      </thead>
      <tbody>
        {userFiles(files).map((f) => {
          const fraction = f.length === 0 ? 1 : f.verifiedBytes / f.length
          // A value between the offered levels shows as its own option, so nothing is lost.
          const offered = PRIORITY_LEVELS.some((l) => l.value === f.priority)
          return (
            <tr key={f.index} data-file={f.index}>
              <td class="name" data-label="Path">
                {f.path}
              </td>
              <td class="num" data-label="Size">
                {formatBytes(f.length)}
              </td>
              <td data-label="Progress">
                <ProgressBar fraction={fraction} label={`${f.path}: ${formatPercent(fraction)}`} />
              </td>
              <td data-label="Priority">
                <select
                  aria-label={`Priority of ${f.path}`}
                  value={String(f.priority)}
                  onChange={(e) =>
                    onPriorities(withPriority(files, f.index, Number(e.currentTarget.value)))
                  }
                >
                  {!offered && (
                    <option
                      value={String(f.priority)}
                    >{`${priorityLabel(f.priority)} (${f.priority})`}</option>
                  )}
                  {PRIORITY_LEVELS.map((l) => (
                    <option key={l.value} value={String(l.value)}>
                      {l.label}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

/** The files a user chose to download: every file but BEP 47 padding. */
export const userFiles = (files: readonly TorrentFile[]): TorrentFile[] =>
  files.filter((f) => f.pad !== true)
