import type { FormEvent, KeyboardEvent } from 'react';

/** The question box: Enter sends, Shift+Enter adds a line; becomes a Stop button while running. */
export function Composer({
  value,
  onChange,
  onSend,
  onStop,
  running,
  stopping,
  disabled,
  placeholder,
}: {
  value: string;
  onChange: (value: string) => void;
  onSend: (text: string) => void;
  onStop: () => void;
  running: boolean;
  stopping: boolean;
  disabled?: boolean;
  placeholder: string;
}) {
  const send = () => {
    const text = value.trim();
    if (!text || running || disabled) return;
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
    <form className="composer" onSubmit={onSubmit} aria-label="Ask the council">
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
        disabled={disabled}
      />
      {running ? (
        <button type="button" className="btn btn--danger composer__button" onClick={onStop} disabled={stopping}>
          {stopping ? 'Stopping…' : 'Stop'}
        </button>
      ) : (
        <button type="submit" className="btn btn--primary composer__button" disabled={disabled || !value.trim()}>
          Send
        </button>
      )}
      <p className="composer__hint muted">Enter to send · Shift+Enter for a new line</p>
    </form>
  );
}
