import { useRef, type FormEvent, type KeyboardEvent } from 'react';
import { describeSendSize, type SendSize } from '../../lib/sendSize';

/** What the picker offers (the server decides by content, not by name). */
export const ATTACH_ACCEPT = '.pdf,.epub,.docx,.html,.htm,.md,.markdown,.txt,.png,.jpg,.jpeg,.webp,application/pdf,application/epub+zip,text/plain,text/markdown,text/html,image/png,image/jpeg,image/webp';

const PASTED_TYPES: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp' };

/** The PNG, JPEG and WebP images on a clipboard (a screenshot pasted arrives as "image.png"). */
export function pastedImages(data: Pick<DataTransfer, 'files'>): File[] {
  const images = Array.from(data.files).filter((f) => f.type in PASTED_TYPES);
  const stamp = new Date().toISOString().slice(0, 19).replace(/[T:]/g, '-');
  return images.map((f, i) =>
    f.name && f.name !== 'image.png' ? f : new File([f], `pasted-${stamp}${images.length > 1 ? `-${i + 1}` : ''}.${PASTED_TYPES[f.type]}`, { type: f.type }),
  );
}

/**
 * The question box: Enter sends, Shift+Enter adds a line; becomes a Stop button while running.
 * A paperclip attaches documents (an image can also be pasted into the box); under it, the size
 * of what will be sent against the limits.
 */
export function Composer({
  value,
  onChange,
  onSend,
  onStop,
  running,
  stopping,
  disabled,
  placeholder,
  onAttach,
  size,
  waitingFor = [],
  mode,
}: {
  value: string;
  onChange: (value: string) => void;
  onSend: (text: string) => void;
  onStop: () => void;
  running: boolean;
  stopping: boolean;
  disabled?: boolean;
  placeholder: string;
  onAttach?: (files: File[]) => void;
  size?: SendSize | null;
  /** Documents still being read: sending waits for them (the server would refuse the question). */
  waitingFor?: readonly string[];
  /** The deliberation mode of the next question, when the caller offers a choice. */
  mode?: { value: string; options: readonly { value: string; label: string }[]; onChange: (mode: string) => void };
}) {
  const picker = useRef<HTMLInputElement>(null);
  const tooLong = size?.tooLong ?? false;
  const waiting = waitingFor.length > 0;
  const send = () => {
    const text = value.trim();
    if (!text || running || disabled || tooLong || waiting) return;
    onSend(text);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };
  return (
    <form className={`composer${onAttach ? ' composer--attach' : ''}`} onSubmit={onSubmit} aria-label="Ask the council">
      {onAttach && (
        <>
          <button
            type="button"
            className="btn btn--ghost composer__attach"
            aria-label="Attach documents"
            title="Attach documents or images (PDF, EPUB, DOCX, HTML, Markdown, text, PNG, JPEG, WebP), or drop them on the chat"
            onClick={() => picker.current?.click()}
            disabled={disabled}
          >
            <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
              <path d="M16.5 6.5 8.6 14.4a2 2 0 1 0 2.8 2.8l7.6-7.6a4 4 0 0 0-5.7-5.7L5.8 11.4a6 6 0 0 0 8.5 8.5l6.2-6.2" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
            </svg>
          </button>
          <input
            ref={picker}
            type="file"
            multiple
            accept={ATTACH_ACCEPT}
            className="visually-hidden"
            tabIndex={-1}
            aria-hidden="true"
            data-testid="attach-input"
            onChange={(e) => {
              const files = Array.from(e.target.files ?? []);
              e.target.value = '';
              if (files.length) onAttach(files);
            }}
          />
        </>
      )}
      <label htmlFor="composer-input" className="visually-hidden">
        Your question
      </label>
      <textarea
        id="composer-input"
        className="composer__input"
        rows={1}
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onPaste={
          onAttach
            ? (e) => {
                if (!e.clipboardData) return;
                const images = pastedImages(e.clipboardData);
                if (!images.length) return;
                // An image alone is attached; pasted text beside it is still pasted as text.
                if (!e.clipboardData.getData('text/plain')) e.preventDefault();
                onAttach(images);
              }
            : undefined
        }
        disabled={disabled}
      />
      {running ? (
        <button type="button" className="btn btn--danger composer__button" onClick={onStop} disabled={stopping}>
          {stopping ? 'Stopping…' : 'Stop'}
        </button>
      ) : (
        <button type="submit" className="btn btn--primary composer__button" disabled={disabled || !value.trim() || tooLong || waiting}>
          Send
        </button>
      )}
      <p className="composer__hint muted">
        {mode && (
          <label className="composer__mode">
            Mode{' '}
            <select aria-label="Deliberation mode" value={mode.value} onChange={(e) => mode.onChange(e.target.value)} disabled={running}>
              {mode.options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </label>
        )}
        {waiting ? (
          <span role="status" data-testid="send-waiting">
            Waiting for {waitingFor.join(', ')} to be read before sending…
          </span>
        ) : (
          <span>Enter to send · Shift+Enter for a new line</span>
        )}
        {size && (
          <span className={`composer__size${tooLong ? ' composer__size--over' : ''}`} data-testid="send-size" role={tooLong ? 'alert' : undefined}>
            {tooLong ? `Too long to send: ${describeSendSize(size)}` : describeSendSize(size)}
          </span>
        )}
      </p>
    </form>
  );
}
