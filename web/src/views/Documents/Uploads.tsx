import { formatBytes, percentSent, type UploadItem } from '../../lib/uploads';

/** Files on their way: a progress bar each, then the server's reason if it refused one. */
export function Uploads({ items, onDismiss }: { items: UploadItem[]; onDismiss: (key: string) => void }) {
  if (items.length === 0) return null;
  return (
    <ul className="uploads" aria-label="Attachments in progress">
      {items.map((item) =>
        item.status === 'failed' ? (
          <li key={item.key} className="notice notice--error uploads__item" role="alert">
            <span>{item.error}</span>
            <button type="button" className="btn btn--small btn--ghost" aria-label={`Dismiss the message about ${item.name}`} onClick={() => onDismiss(item.key)}>
              ✕
            </button>
          </li>
        ) : (
          <li key={item.key} className="uploads__item uploads__item--busy">
            <span className="uploads__name">{item.name}</span>
            <progress className="uploads__bar" max={100} value={percentSent(item)} aria-label={`Uploading ${item.name}`} />
            <span className="uploads__state muted" role="status">
              {item.status === 'processing' ? 'Reading the file…' : `${percentSent(item)} % of ${formatBytes(item.size)}`}
            </span>
          </li>
        ),
      )}
    </ul>
  );
}
