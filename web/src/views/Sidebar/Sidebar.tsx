import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { ConversationSummary } from '../../api/types';
import { formatWhen } from '../../lib/format';
import { CloseIcon, PencilIcon, TrashIcon } from '../Common/Icons';

function ConversationItem({
  item,
  active,
  running,
  readOnly,
  onOpen,
  onRename,
  onDelete,
}: {
  item: ConversationSummary;
  active: boolean;
  running: boolean;
  readOnly: boolean;
  onOpen: () => void;
  onRename: (title: string) => Promise<void>;
  onDelete: () => Promise<void>;
}) {
  const [mode, setMode] = useState<'view' | 'rename' | 'confirm'>('view');
  const [title, setTitle] = useState(item.title);
  const input = useRef<HTMLInputElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (mode === 'rename') input.current?.select();
    if (mode === 'confirm') confirmButton.current?.focus();
  }, [mode]);
  const title_ = item.title || 'New conversation';

  if (mode === 'rename') {
    const submit = async (e: FormEvent) => {
      e.preventDefault();
      const next = title.trim();
      if (next && next !== item.title) await onRename(next);
      setMode('view');
    };
    return (
      <li className="conv conv--editing">
        <form onSubmit={submit} className="conv__rename">
          <label className="visually-hidden" htmlFor={`rename-${item.id}`}>
            New title
          </label>
          <input
            id={`rename-${item.id}`}
            ref={input}
            value={title}
            maxLength={200}
            onChange={(e) => setTitle(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') setMode('view');
            }}
          />
          <button type="submit" className="btn btn--small btn--primary">
            Save
          </button>
          <button type="button" className="btn btn--small btn--ghost" onClick={() => setMode('view')}>
            Cancel
          </button>
        </form>
      </li>
    );
  }
  if (mode === 'confirm') {
    return (
      <li className="conv conv--confirm" role="alertdialog" aria-label={`Delete “${title_}”?`}>
        <p className="conv__confirm-text">
          Delete “{title_}”? This cannot be undone.
        </p>
        <div className="conv__confirm-actions">
          <button
            ref={confirmButton}
            type="button"
            className="btn btn--small btn--danger"
            onClick={async () => {
              await onDelete();
            }}
          >
            Delete
          </button>
          <button type="button" className="btn btn--small btn--ghost" onClick={() => setMode('view')}>
            Cancel
          </button>
        </div>
      </li>
    );
  }
  return (
    <li className={`conv${active ? ' conv--active' : ''}`}>
      <button type="button" className="conv__open" onClick={onOpen} aria-current={active ? 'page' : undefined}>
        <span className="conv__title">{title_}</span>
        <span className="conv__meta muted">
          {running ? 'running… · ' : ''}
          {formatWhen(item.updated_at)} · {item.message_count} {item.message_count === 1 ? 'message' : 'messages'}
        </span>
      </button>
      {!readOnly && (
        <div className="conv__actions">
          <button
            type="button"
            className="btn btn--icon btn--ghost"
            aria-label={`Rename “${title_}”`}
            title="Rename"
            onClick={() => {
              setTitle(item.title);
              setMode('rename');
            }}
          >
            <PencilIcon />
          </button>
          <button
            type="button"
            className="btn btn--icon btn--ghost"
            aria-label={`Delete “${title_}”`}
            title="Delete"
            onClick={() => setMode('confirm')}
          >
            <TrashIcon />
          </button>
        </div>
      )}
    </li>
  );
}

/** Conversations, newest first, with search by title, new, rename and delete. */
export function Sidebar({
  conversations,
  loading,
  error,
  activeId,
  runningId,
  query,
  onQuery,
  showAllSources = false,
  onShowAllSources,
  onNew,
  onOpen,
  onRename,
  onDelete,
  open,
  onClose,
  showConversations = true,
  canAsk = true,
  footer,
}: {
  conversations: ConversationSummary[];
  loading: boolean;
  error: string | null;
  activeId: string | null;
  runningId: string | null;
  query: string;
  onQuery: (q: string) => void;
  /** True: /v1 and MCP conversations are listed too (they are hidden by default). */
  showAllSources?: boolean;
  onShowAllSources?: (show: boolean) => void;
  onNew: () => void;
  onOpen: (id: string) => void;
  onRename: (id: string, title: string) => Promise<void>;
  onDelete: (id: string) => Promise<void>;
  open: boolean;
  onClose: () => void;
  /** False for a role that may not read conversations (an auditor): the list is left out. */
  showConversations?: boolean;
  /** False for read-only access (a grant to read everyone's): no new, rename or delete. */
  canAsk?: boolean;
  footer?: ReactNode;
}) {
  return (
    <>
      <div className={`scrim${open ? ' scrim--open' : ''}`} onClick={onClose} aria-hidden="true" />
      <aside className={`sidebar${open ? ' sidebar--open' : ''}`} aria-label="Conversations">
        <div className="sidebar__head">
          <h1 className="brand">
            <span className="brand__mark" aria-hidden="true">
              ◆
            </span>{' '}
            LLM Council
          </h1>
          <button type="button" className="btn btn--icon btn--ghost sidebar__close" aria-label="Close conversations" onClick={onClose}>
            <CloseIcon />
          </button>
        </div>
        {showConversations && (
          <>
            {canAsk && (
              <button type="button" className="btn btn--primary sidebar__new" onClick={onNew}>
                + New conversation
              </button>
            )}
            <div className="sidebar__search">
              <label htmlFor="conv-search" className="visually-hidden">
                Search conversations by title
              </label>
              <input
                id="conv-search"
                type="search"
                placeholder="Search titles…"
                value={query}
                onChange={(e) => onQuery(e.target.value)}
              />
              {onShowAllSources && (
                <label className="sidebar__sources">
                  <input type="checkbox" checked={showAllSources} onChange={(e) => onShowAllSources(e.target.checked)} />
                  Show /v1 and MCP calls
                </label>
              )}
            </div>
            <div className="sidebar__scroll">
              {error && (
                <p className="notice notice--error" role="alert">
                  {error}
                </p>
              )}
              <ul className="conv-list" aria-busy={loading}>
                {conversations.map((c) => (
                  <ConversationItem
                    key={c.id}
                    item={c}
                    active={c.id === activeId}
                    running={c.id === runningId}
                    readOnly={!canAsk}
                    onOpen={() => onOpen(c.id)}
                    onRename={(t) => onRename(c.id, t)}
                    onDelete={() => onDelete(c.id)}
                  />
                ))}
              </ul>
              {!loading && conversations.length === 0 && (
                <p className="muted sidebar__empty">{query ? 'No conversation matches.' : 'No conversations yet.'}</p>
              )}
            </div>
          </>
        )}
        {!showConversations && <div className="sidebar__scroll" />}
        {footer}
      </aside>
    </>
  );
}
