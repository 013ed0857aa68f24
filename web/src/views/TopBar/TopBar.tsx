import type { ReactNode } from 'react';
import { MenuIcon } from '../Common/Icons';

/** The conversation's title, its council, export, and the demo-mode label. */
export function TopBar({
  title,
  demo,
  exportUrl,
  onMenu,
  picker,
}: {
  title: string;
  demo: boolean;
  exportUrl: string | null;
  onMenu: () => void;
  picker: ReactNode;
}) {
  return (
    <header className="topbar">
      {demo && (
        <div className="demo-banner" role="note">
          <strong>Demo mode</strong> — every answer comes from a simulated upstream, not from real models.
        </div>
      )}
      <div className="topbar__row">
        <button type="button" className="btn btn--icon btn--ghost topbar__menu" aria-label="Open conversations" onClick={onMenu}>
          <MenuIcon />
        </button>
        <h2 className="topbar__title" title={title}>
          {title}
        </h2>
        <div className="topbar__actions">
          {picker}
          {exportUrl && (
            <a className="btn btn--ghost" href={exportUrl} download aria-label="Export conversation as Markdown">
              Export .md
            </a>
          )}
        </div>
      </div>
    </header>
  );
}
