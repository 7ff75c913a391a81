export interface NoticeState {
  readonly kind: 'error' | 'info'
  readonly text: string
}

/** One message above the view (a failed action); stays until dismissed. */
export function Notice({ notice, onClose }: { notice: NoticeState; onClose: () => void }) {
  return (
    <div class={`notice notice-${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
      <span>{notice.text}</span>
      <button type="button" onClick={onClose} aria-label="Dismiss">
        ×
      </button>
    </div>
  )
}
