import { useId, type ReactNode } from 'react';

/** A page of the app other than the chat: scrolls by itself between the top bar and the bottom. */
export function Page({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="page" role="region" aria-label={label}>
      <div className="page__inner">{children}</div>
    </div>
  );
}

/** A titled card on a page. */
export function Panel({ title, actions, children }: { title: string; actions?: ReactNode; children: ReactNode }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <div className="panel__head">
        <h3 className="panel__title" id={headingId}>
          {title}
        </h3>
        {actions && <div className="panel__actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

/** An error from the server, said plainly. */
export function ErrorNote({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p className="notice notice--error" role="alert">
      {error}
    </p>
  );
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
