import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from './api/client';
import type { Conversation, ConversationSummary, ModelsInfo, StatusInfo } from './api/types';
import { useCouncilRun } from './state/useCouncilRun';
import { Chat } from './views/Chat/Chat';
import { Composer } from './views/Chat/Composer';
import { CouncilPicker, type CouncilChoice } from './views/CouncilPicker/CouncilPicker';
import { Sidebar } from './views/Sidebar/Sidebar';
import { TopBar } from './views/TopBar/TopBar';
import { Welcome } from './views/Welcome/Welcome';

const POLL_MS = 2000;

function idFromHash(): string | null {
  const m = /^#\/c\/([^/?#]+)/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]!) : null;
}

function go(id: string | null) {
  const next = id ? `#/c/${encodeURIComponent(id)}` : '#/';
  if (window.location.hash !== next) window.location.hash = next;
}

/**
 * The council a conversation uses. The server stores `null` members and chairman when a preset
 * (or, with no preset either, the default preset) decides them.
 */
function councilOf(c: Pick<Conversation, 'preset' | 'members' | 'chairman'> | null, models: ModelsInfo | null): CouncilChoice {
  const custom = Boolean(c?.members?.length);
  const presetName = c?.preset ?? (custom ? null : (models?.default_preset ?? null));
  const preset = models?.presets.find((p) => p.name === presetName);
  return {
    preset: custom && !c?.preset ? null : presetName,
    members: c?.members ?? preset?.members ?? [],
    chairman: c?.chairman ?? preset?.chairman ?? null,
  };
}

/**
 * A preset clears any custom members; custom members clear the preset. With neither (the model
 * list has not loaded), the server's default council applies.
 */
function councilBody(c: CouncilChoice) {
  if (c.preset) return { preset: c.preset, members: null, chairman: null };
  if (c.members.length > 0) return { preset: null, members: c.members, chairman: c.chairman };
  return {};
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function App() {
  const [status, setStatus] = useState<StatusInfo | null>(null);
  const [models, setModels] = useState<ModelsInfo | null>(null);
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [listLoading, setListLoading] = useState(true);
  const [listError, setListError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [currentId, setCurrentId] = useState<string | null>(idFromHash);
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [homeChoice, setHomeChoice] = useState<CouncilChoice | null>(null);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const currentRef = useRef(currentId);
  currentRef.current = currentId;
  const queryRef = useRef(query);
  queryRef.current = query;

  const refreshList = useCallback(async () => {
    try {
      setConversations(await api.listConversations(queryRef.current));
      setListError(null);
    } catch (err) {
      setListError(`Could not load conversations: ${message(err)}`);
    } finally {
      setListLoading(false);
    }
  }, []);

  const reload = useCallback(
    async (id: string): Promise<Conversation | null> => {
      try {
        const c = await api.getConversation(id);
        if (currentRef.current === id) {
          setConversation(c);
          setLoadError(null);
        }
        void refreshList();
        return c;
      } catch (err) {
        if ((err as { status?: number }).status === 404) {
          if (currentRef.current === id) setLoadError('This conversation does not exist (it may have been deleted).');
          void refreshList();
          return { id } as Conversation; // reachable: nothing more to wait for
        }
        return null;
      }
    },
    [refreshList],
  );

  const onTitle = useCallback((id: string, title: string) => {
    setConversations((list) => list.map((c) => (c.id === id ? { ...c, title } : c)));
    setConversation((c) => (c && c.id === id ? { ...c, title } : c));
    void refreshList();
  }, [refreshList]);

  const council = useCouncilRun({ reload, onTitle, onRunStart: () => void refreshList() });
  const { live } = council;

  // Server facts: demo mode, presets and models.
  useEffect(() => {
    api.status().then(setStatus, () => setStatus(null));
    api.models().then(setModels, () => setModels(null));
  }, []);

  // The conversation list follows the search box (debounced).
  useEffect(() => {
    const t = window.setTimeout(() => void refreshList(), query ? 200 : 0);
    return () => window.clearTimeout(t);
  }, [query, refreshList]);

  useEffect(() => {
    const onHash = () => setCurrentId(idFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const shownId = useRef<string | null>(null);
  shownId.current = conversation?.id ?? null;
  useEffect(() => {
    setSidebarOpen(false);
    if (currentId && shownId.current === currentId) return; // just created: already shown
    setConversation(null);
    setLoadError(null);
    if (currentId) void reload(currentId);
  }, [currentId, reload]);

  // A run stored as still running (another tab, or the stream dropped while the server went on):
  // follow it by polling until it ends.
  const lastStatus = conversation?.messages.at(-1)?.role === 'assistant' ? (conversation.messages.at(-1) as { status: string }).status : null;
  useEffect(() => {
    if (!conversation || lastStatus !== 'running' || live) return;
    const t = window.setTimeout(() => void reload(conversation.id), POLL_MS);
    return () => window.clearTimeout(t);
  }, [conversation, lastStatus, live, reload]);

  const defaultChoice = useMemo(() => councilOf(null, models), [models]);
  const choice: CouncilChoice = conversation ? councilOf(conversation, models) : (homeChoice ?? defaultChoice);

  const createConversation = async (c: CouncilChoice): Promise<Conversation | null> => {
    try {
      const created = await api.createConversation(councilBody(c));
      setConversations((list) => [
        { id: created.id, created_at: created.created_at, updated_at: created.updated_at, title: created.title, message_count: 0, preset: created.preset },
        ...list.filter((x) => x.id !== created.id),
      ]);
      currentRef.current = created.id;
      setConversation(created);
      go(created.id);
      return created;
    } catch (err) {
      setSendError(`Could not start a conversation: ${message(err)}`);
      return null;
    }
  };

  /** A new conversation starts on the empty screen; it is stored with its first question. */
  const startNew = () => {
    setHomeChoice(null);
    setSidebarOpen(false);
    go(null);
    document.getElementById('composer-input')?.focus();
  };

  const send = async (text: string) => {
    setSendError(null);
    council.clearFailure();
    const target = conversation ?? (await createConversation(choice));
    if (!target) return;
    setDraft('');
    council.start({ id: target.id, ...councilOf(target, models) }, text);
  };

  const saveCouncil = async (c: CouncilChoice) => {
    if (!conversation) {
      setHomeChoice(c);
      return;
    }
    const updated = await api.updateConversation(conversation.id, councilBody(c));
    setConversation((prev) => (prev ? { ...prev, ...updated, messages: updated.messages ?? prev.messages } : updated));
    void refreshList();
  };

  const rename = async (id: string, title: string) => {
    try {
      const updated = await api.updateConversation(id, { title });
      setConversations((list) => list.map((c) => (c.id === id ? { ...c, title: updated.title } : c)));
      setConversation((c) => (c && c.id === id ? { ...c, title: updated.title } : c));
    } catch (err) {
      setListError(`Could not rename: ${message(err)}`);
    }
  };

  const remove = async (id: string) => {
    try {
      await api.deleteConversation(id);
      setConversations((list) => list.filter((c) => c.id !== id));
      if (currentRef.current === id) go(null);
    } catch (err) {
      setListError(`Could not delete: ${message(err)}`);
    }
  };

  // Restore a question the server refused, so nothing typed is lost.
  const failure = council.failure;
  useEffect(() => {
    if (failure?.content) setDraft((d) => d || failure.content || '');
  }, [failure]);

  const pageTitle = conversation?.title;
  useEffect(() => {
    document.title = pageTitle ? `${pageTitle} · LLM Council` : 'LLM Council';
  }, [pageTitle]);

  const running = live !== null;
  const runningHere = live !== null && (!conversation || live.conversationId === conversation.id);

  return (
    <div className="app">
      <Sidebar
        conversations={conversations}
        loading={listLoading}
        error={listError}
        activeId={currentId}
        runningId={live?.conversationId ?? null}
        query={query}
        onQuery={setQuery}
        onNew={startNew}
        onOpen={(id) => {
          go(id);
          setSidebarOpen(false);
        }}
        onRename={rename}
        onDelete={remove}
        open={sidebarOpen}
        onClose={() => setSidebarOpen(false)}
      />
      <main className="main">
        <TopBar
          title={conversation ? conversation.title || 'New conversation' : currentId ? 'Loading…' : 'Ask the council'}
          demo={status?.demo ?? false}
          exportUrl={conversation && conversation.messages.length > 0 ? api.exportUrl(conversation.id, 'md') : null}
          onMenu={() => setSidebarOpen(true)}
          picker={
            <CouncilPicker
              models={models}
              value={choice}
              onSave={saveCouncil}
              disabled={runningHere || (currentId !== null && !conversation)}
            />
          }
        />
        {loadError ? (
          <div className="chat">
            <p className="notice notice--error chat__inner" role="alert">
              {loadError}
            </p>
          </div>
        ) : conversation && (conversation.messages.length > 0 || (live && live.conversationId === conversation.id)) ? (
          <Chat conversation={conversation} live={live} onRetry={(run) => council.retry(conversation.id, run)} />
        ) : (
          <Welcome demo={status?.demo ?? false} onPick={(q) => setDraft(q)} />
        )}
        <div className="composer-wrap">
          {(sendError || failure) && (
            <div className="notice notice--error composer-wrap__error" role="alert">
              {sendError ?? `Could not ask the council: ${failure?.message}`}
              <button
                type="button"
                className="btn btn--small btn--ghost"
                onClick={() => {
                  setSendError(null);
                  council.clearFailure();
                }}
                aria-label="Dismiss"
              >
                ✕
              </button>
            </div>
          )}
          <Composer
            value={draft}
            onChange={setDraft}
            onSend={(t) => void send(t)}
            onStop={() => void council.stop()}
            running={runningHere}
            stopping={live?.stopping ?? false}
            disabled={(running && !runningHere) || Boolean(loadError)}
            placeholder={
              (conversation && conversation.messages.length > 0) || runningHere ? 'Ask a follow-up…' : 'Ask the council a question…'
            }
          />
        </div>
      </main>
    </div>
  );
}
