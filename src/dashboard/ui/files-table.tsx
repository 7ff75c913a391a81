import type { TorrentFile } from '../model/api-types.js'
import { formatBytes, formatPercent } from '../model/format.js'
import { PRIORITY_LEVELS, priorityLabel, withPriority } from '../model/priorities.js'
import { useEffect, useState } from 'preact/hooks'
import { ProgressBar } from './progress-bar.js'

interface Props {
  readonly files: readonly TorrentFile[]
  /** Sends the new priorities; resolves false when the daemon refused them. */
  readonly onPriorities: (priorities: number[]) => Promise<boolean>
}

/**
 * A torrent's files with their progress and a priority control each. Padding files are not
 * shown, but stay in `files`: a priority change sends one value per file, pads included.
 * A chosen priority shows at once and stays until the daemon's data says the same: the
 * control must not flick back to the old value while the change and the next poll are in
 * flight.
 */
export function FilesTable({ files, onPriorities }: Props) {
  const [chosen, setChosen] = useState<ReadonlyMap<number, number>>(new Map())
  // Once the daemon's data shows a choice, the choice is no longer pending.
  useEffect(() => {
    const settled = files.filter((f) => chosen.get(f.index) === f.priority)
    if (settled.length > 0)
      setChosen((before) =>
        without(
          before,
          settled.map((f) => f.index),
        ),
      )
  }, [files])
  if (files.length === 0) return <p class="empty">The file list comes with the metadata.</p>
  const shown = files.map((f) => {
    const pending = chosen.get(f.index)
    return pending === undefined || pending === f.priority ? f : { ...f, priority: pending }
  })
  const choose = (index: number, priority: number): void => {
    setChosen((before) => new Map(before).set(index, priority))
    void onPriorities(withPriority(shown, index, priority)).then((accepted) => {
      if (!accepted) setChosen((before) => without(before, [index]))
    })
  }
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
        {userFiles(shown).map((f) => {
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
                  onChange={(e) => choose(f.index, Number(e.currentTarget.value))}
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

function without(map: ReadonlyMap<number, number>, keys: readonly number[]): Map<number, number> {
  const out = new Map(map)
  for (const key of keys) out.delete(key)
  return out
}
