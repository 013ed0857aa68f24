import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A button that asks first: the question and its two answers replace it in place (the same
 * pattern as deleting a conversation), and the confirming button takes the focus.
 */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  danger = true,
  small = true,
  disabled = false,
  ariaLabel,
}: {
  label: ReactNode;
  question: string;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  danger?: boolean;
  small?: boolean;
  disabled?: boolean;
  ariaLabel?: string;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  const size = small ? ' btn--small' : '';
  if (!asking) {
    return (
      <button type="button" className={`btn btn--ghost${size}`} aria-label={ariaLabel} disabled={disabled} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="alertdialog" aria-label={question}>
      <span className="confirm__text">{question}</span>
      <button
        ref={confirm}
        type="button"
        className={`btn${size} ${danger ? 'btn--danger' : 'btn--primary'}`}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className={`btn${size} btn--ghost`} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
