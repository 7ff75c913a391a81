import { useEffect, useRef, useState } from 'preact/hooks'
import type { TorrentStatus } from '../model/api-types.js'

interface Props {
  readonly torrent: TorrentStatus
  readonly onConfirm: (deleteData: boolean) => void
  readonly onCancel: () => void
}

/**
 * Asks before removing; deleting the downloaded files is a separate, unticked choice. A modal
 * <dialog>: the browser keeps focus inside it and Escape cancels.
 */
export function RemoveDialog({ torrent, onConfirm, onCancel }: Props) {
  const dialog = useRef<HTMLDialogElement>(null)
  const [deleteData, setDeleteData] = useState(false)
  useEffect(() => {
    dialog.current?.showModal()
  }, [])
  return (
    <dialog ref={dialog} class="confirm" aria-labelledby="remove-title" onCancel={onCancel}>
      <h2 id="remove-title">Remove “{torrent.name}”?</h2>
      <p>The torrent leaves the daemon. Its files stay on disk unless you tick the box.</p>
      <label class="check">
        <input
          type="checkbox"
          name="deleteData"
          checked={deleteData}
          onChange={(e) => setDeleteData(e.currentTarget.checked)}
        />
        Also delete the downloaded files
      </label>
      <div class="buttons">
        <button type="button" class="danger" onClick={() => onConfirm(deleteData)}>
          {deleteData ? 'Remove and delete files' : 'Remove'}
        </button>
        <button type="button" autoFocus onClick={onCancel}>
          Cancel
        </button>
      </div>
    </dialog>
  )
}
