import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from './api/client';
import { documentsApi } from './api/documents';
import type { Conversation, ConversationSummary, Me, ModelsInfo, SectionEntry, StatusInfo } from './api/types';
import { PEOPLE_SOURCES } from './api/types';
import { accessOf, homePage, mayOpen, PAGE_TITLE, type Access, type PageId } from './lib/access';
import { currentRoute, navigate, type Route } from './lib/route';
import { limitsFrom, sendSize } from './lib/sendSize';
import { useSession } from './state/session';
import { useCouncilRun } from './state/useCouncilRun';
import { useDocuments } from './state/useDocuments';
import { useFileDrop } from './state/useFileDrop';
import { Account } from './views/Account/Account';
import { AllKeys } from './views/Admin/AllKeys';
import { Users } from './views/Admin/Users';
import { Audit } from './views/Audit/Audit';
import { Chat } from './views/Chat/Chat';
import { Composer } from './views/Chat/Composer';
import { CouncilPicker, MODE_OPTIONS, type CouncilChoice } from './views/CouncilPicker/CouncilPicker';
import type { Mode } from './views/CouncilPicker/estimate';
import { ReaderContext, type ReaderActions } from './views/Documents/context';
import { discussQuestion, DocumentShelf } from './views/Documents/DocumentShelf';
import { Reader } from './views/Documents/Reader';
import { forgetRunDocuments } from './views/Documents/RunContextNote';
import { Uploads } from './views/Documents/Uploads';
import { Setup } from './views/Setup/Setup';
import { AccountNav } from './views/Sidebar/AccountNav';
import { Sidebar } from './views/Sidebar/Sidebar';
import { AuthScreen } from './views/SignIn/AuthScreen';
import { SignIn } from './views/SignIn/SignIn';
import { TopBar } from './views/TopBar/TopBar';
import { Usage } from './views/Usage/Usage';
import { Evaluations } from './views/Evaluations/Evaluations';
import { Batches } from './views/Batches/Batches';
import { Welcome } from './views/Welcome/Welcome';

const POLL_MS = 2000;
// The analytics page and its chart library load when the page is first opened.
const Analytics = lazy(() => import('./views/Analytics/Analytics').then((m) => ({ default: m.Analytics })));

function go(id: string | null) {
  navigate(id ? { kind: 'conversation', id } : { kind: 'home' });
}

function useRoute(): Route {
  const [route, setRoute] = useState<Route>(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    window.addEventListener('hashchange', onChange);
    window.addEventListener('popstate', onChange);
    return () => {
      window.removeEventListener('hashchange', onChange);
      window.removeEventListener('popstate', onChange);
    };
  }, []);
  return route;
}

/**
 * Who is using the app decides what it shows: the first-run setup, the sign-in page, or the
 * workspace (in local mode at once, with nobody signing in).
 */
export function App() {
  const session = useSession();
  const route = useRoute();
  const state = session.state;
  const setupOpen = state.kind !== 'loading' && state.kind !== 'unreachable' && state.config.mode === 'users' && state.config.setup_required;

  // A setup link with no use any more (an administrator exists): go on to the app.
  const staleSetup = route.kind === 'setup' && state.kind !== 'loading' && state.kind !== 'unreachable' && !setupOpen;
  useEffect(() => {
    if (staleSetup) navigate({ kind: 'home' });
  }, [staleSetup]);

  if (state.kind === 'loading') {
    return (
      <div className="splash" role="status">
        Loading…
      </div>
    );
  }
  if (state.kind === 'unreachable') {
    return (
      <AuthScreen title="The server cannot be reached">
        <p className="notice notice--error" role="alert">
          {state.message}
        </p>
        <button type="button" className="btn btn--primary auth-form__submit" onClick={() => void session.refresh()}>
          Try again
        </button>
      </AuthScreen>
    );
  }
  if (route.kind === 'setup' && setupOpen) {
    return (
      <Setup
        token={route.token}
        setupRequired
        onSetup={async (token, username, password) => {
          await session.completeSetup(token, username, password);
          navigate({ kind: 'home' });
        }}
      />
    );
  }
  if (state.kind === 'signed-out') {
    return <SignIn config={state.config} notice={state.notice} onSignIn={session.signIn} />;
  }
  const me = state.me;
  const signOut = () => {
    navigate({ kind: 'home' }); // the next person starts afresh, not in this one's conversation
    void session.signOut();
  };
  return <Workspace key={me.user?.id ?? 'local'} me={me} route={route} onSignOut={signOut} />;
}

function PageView({ page, me, access, onSignOut }: { page: PageId; me: Me; access: Access; onSignOut: () => void }) {
  if (!mayOpen(access, page)) {
    return (
      <div className="page">
        <p className="notice notice--error page__inner" role="alert">
          {access.local ? 'There are no accounts in local single-user mode.' : 'Your role does not open this page.'}
        </p>
      </div>
    );
  }
  switch (page) {
    case 'account':
      return <Account me={me} onSignOut={onSignOut} />;
    case 'users':
      return <Users selfId={me.user?.id ?? null} />;
    case 'keys':
      return <AllKeys />;
    case 'usage':
      return <Usage seesEveryone={me.role === 'admin' || me.role === 'auditor'} admin={me.scopes.includes('admin')} />;
    case 'audit':
      return <Audit />;
  }
}

/**
 * The council a conversation uses. The server stores `null` members and chairman when a preset
 * (or, with no preset either, the default preset) decides them.
 */
function councilOf(c: Pick<Conversation, 'preset' | 'members' | 'chairman' | 'reasoning'> | null, models: ModelsInfo | null): CouncilChoice {
  const custom = Boolean(c?.members?.length);
  const presetName = c?.preset ?? (custom ? null : (models?.default_preset ?? null));
  const preset = models?.presets.find((p) => p.name === presetName);
  return {
    preset: custom && !c?.preset ? null : presetName,
    members: c?.members ?? preset?.members ?? [],
    chairman: c?.chairman ?? preset?.chairman ?? null,
    reasoning: custom ? (c?.reasoning ?? null) : null,
  };
}

/**
 * A preset clears any custom members; custom members clear the preset. With neither (the model
 * list has not loaded), the server's default council applies.
 */
function councilBody(c: CouncilChoice) {
  if (c.preset) return { preset: c.preset, members: null, chairman: null };
  if (c.members.length > 0) return { preset: null, members: c.members, chairman: c.chairman, reasoning: c.reasoning ?? null };
  return {};
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The app for someone who may use it: conversations and the pages their role opens. */
function Workspace({ me, route, onSignOut }: { me: Me; route: Route; onSignOut: () => void }) {
  const access = useMemo(() => accessOf(me), [me]);
  const currentId = route.kind === 'conversation' ? route.id : null;
  const page = route.kind === 'page' ? route.page : null;
  const [status, setStatus] = useState<StatusInfo | null>(null);
  const [models, setModels] = useState<ModelsInfo | null>(null);
  const [conversations, setConversations] = useState<ConversationSummary[]>([]);
  const [listLoading, setListLoading] = useState(true);
  const [listError, setListError] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [homeChoice, setHomeChoice] = useState<CouncilChoice | null>(null);
  const [mode, setMode] = useState<Mode>('classic');
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  const currentRef = useRef(currentId);
  currentRef.current = currentId;
  const queryRef = useRef(query);
  queryRef.current = query;
  // /v1 and MCP calls are tools' traffic: left out of the list unless asked for.
  const [showAll, setShowAll] = useState(false);
  const showAllRef = useRef(showAll);
  showAllRef.current = showAll;
  // A conversation created for a first message that the server has not yet accepted.
  const unconfirmedRef = useRef<string | null>(null);

  const refreshList = useCallback(async () => {
    if (!access.canRead) {
      setListLoading(false);
      return;
    }
    try {
      setConversations(await api.listConversations(queryRef.current, showAllRef.current ? [] : PEOPLE_SOURCES));
      setListError(null);
    } catch (err) {
      setListError(`Could not load conversations: ${message(err)}`);
    } finally {
      setListLoading(false);
    }
  }, [access.canRead]);

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
        const code = (err as { status?: number }).status;
        if (code === 404) {
          if (currentRef.current === id) setLoadError('This conversation does not exist (it may have been deleted).');
          void refreshList();
          return { id } as Conversation; // reachable: nothing more to wait for
        }
        if (code === 403 || code === 401) {
          if (currentRef.current === id) setLoadError(`You may not read this conversation: ${message(err)}`);
          return { id } as Conversation;
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

  // A conversation created for a first message or attach that the server refused: deleted, so
  // no empty conversation is left behind.
  const abandon = useCallback(
    (id: string) => {
      if (unconfirmedRef.current === id) unconfirmedRef.current = null;
      setConversations((list) => list.filter((c) => c.id !== id));
      void api.deleteConversation(id).then(
        () => void refreshList(),
        () => void refreshList(),
      );
      if (currentRef.current === id) {
        currentRef.current = null;
        setConversation(null);
        go(null);
      }
    },
    [refreshList],
  );
  // A refused first message (empty, over the limit) leaves no empty conversation behind.
  const onRefused = useCallback(
    (id: string) => {
      if (unconfirmedRef.current === id) abandon(id);
    },
    [abandon],
  );
  const onRunStart = useCallback(
    (id: string) => {
      if (unconfirmedRef.current === id) unconfirmedRef.current = null;
      void refreshList();
    },
    [refreshList],
  );
  const council = useCouncilRun({ reload, onTitle, onRunStart, onRefused });
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
  }, [query, showAll, refreshList]);

  // Someone who may not read conversations (an auditor) lands on the first page they have.
  const landing = homePage(access);
  const chatRoute = route.kind === 'home' || route.kind === 'conversation';
  useEffect(() => {
    if (chatRoute && landing) navigate({ kind: 'page', page: landing });
  }, [chatRoute, landing]);

  const shownId = useRef<string | null>(null);
  shownId.current = conversation?.id ?? null;
  useEffect(() => {
    setSidebarOpen(false);
    if (currentId && shownId.current === currentId) return; // just created: already shown
    setConversation(null);
    setLoadError(null);
    if (currentId && access.canRead) void reload(currentId);
  }, [currentId, reload, access.canRead]);

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
  // A preset names its own mode: choosing another preset (or opening its conversation) proposes
  // it; the first preset seen does so only until the person has chosen a mode themselves.
  const presetKey = choice.preset ?? models?.default_preset ?? null;
  const presetMode = models?.presets.find((p) => p.name === presetKey)?.mode;
  const modeChosen = useRef(false);
  const modeOfPreset = useRef<string | null | undefined>(undefined);
  useEffect(() => {
    if (!presetMode) return;
    const first = modeOfPreset.current === undefined;
    if (!first && modeOfPreset.current === presetKey) return;
    modeOfPreset.current = presetKey;
    if (!first || !modeChosen.current) setMode(presetMode);
  }, [presetMode, presetKey]);
  const chooseMode = (next: Mode) => {
    modeChosen.current = true;
    setMode(next);
  };

  const createConversation = async (c: CouncilChoice): Promise<Conversation | null> => {
    try {
      const created = await api.createConversation(councilBody(c));
      setConversations((list) => [
        { id: created.id, created_at: created.created_at, updated_at: created.updated_at, title: created.title, message_count: 0, preset: created.preset, source: 'web' },
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

  const docs = useDocuments(conversation?.id ?? null, {
    ensureConversation: async () => {
      if (conversation) return { id: conversation.id, fresh: false };
      setSendError(null);
      const created = await createConversation(choice);
      return created ? { id: created.id, fresh: true } : null;
    },
    onAbandon: abandon,
  });
  const readerActions = useMemo<ReaderActions | null>(
    () => (conversation ? { conversationId: conversation.id, documents: docs.documents, open: docs.openReader } : null),
    [conversation, docs.documents, docs.openReader],
  );

  /** Reading mode: the council discusses one chapter; the question typed, else a default one. */
  const discuss = (documentId: string, section: SectionEntry) => {
    if (!conversation || live) return;
    setSendError(null);
    council.clearFailure();
    const question = draft.trim() || discussQuestion(section);
    setDraft('');
    council.startRequest({ id: conversation.id, ...councilOf(conversation, models) }, question, () =>
      documentsApi.discuss(conversation.id, documentId, section.position, question),
    );
  };
  const discussAt = async (documentId: string, position: number) => {
    const detail = docs.details[documentId] ?? (await docs.detail(documentId));
    const section = detail?.contents[position];
    if (section) discuss(documentId, section);
  };

  const send = async (text: string) => {
    setSendError(null);
    council.clearFailure();
    const fresh = !conversation;
    const target = conversation ?? (await createConversation(choice));
    if (!target) return;
    if (fresh) unconfirmedRef.current = target.id;
    setDraft('');
    council.start({ id: target.id, ...councilOf(target, models) }, text, mode);
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

  const pageTitle = page ? PAGE_TITLE[page] : conversation?.title;
  useEffect(() => {
    document.title = pageTitle ? `${pageTitle} · LLM Council` : 'LLM Council';
  }, [pageTitle]);

  const running = live !== null;
  const runningHere = live !== null && (!conversation || live.conversationId === conversation.id);
  const canAttach = access.canAsk && !loadError && !(currentId !== null && !conversation);
  const drop = useFileDrop((files) => void docs.attach(files), canAttach);
  const limits = useMemo(() => limitsFrom(status), [status]);
  const size = access.canAsk ? sendSize(draft, docs.documents, limits) : null;
  const hasDocuments = docs.documents.length > 0;
  // A question sent while a document is still being read would be refused (409): wait for it.
  const stillReading = docs.documents.filter((d) => d.status === 'processing').map((d) => d.title || d.filename);

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
        showAllSources={showAll}
        onShowAllSources={setShowAll}
        onNew={startNew}
        onOpen={(id) => {
          go(id);
          setSidebarOpen(false);
        }}
        onRename={rename}
        onDelete={remove}
        open={sidebarOpen}
        onClose={() => setSidebarOpen(false)}
        showConversations={access.canRead}
        canAsk={access.canAsk}
        footer={
          <>
            {access.canAsk && (
              <a className="account-nav__link" href="#/evaluations" onClick={() => setSidebarOpen(false)}>
                Evaluations
              </a>
            )}
            {access.canAsk && (
              <a className="account-nav__link" href="#/batches" onClick={() => setSidebarOpen(false)}>
                Batches
              </a>
            )}
            {(access.local || me.scopes.includes('usage')) && (
              <a
                className={`account-nav__link${route.kind === 'analytics' ? ' account-nav__link--active' : ''}`}
                href="#/analytics"
                aria-current={route.kind === 'analytics' ? 'page' : undefined}
                onClick={() => setSidebarOpen(false)}
              >
                Analytics
              </a>
            )}
            <AccountNav me={me} access={access} current={page} onNavigate={() => setSidebarOpen(false)} onSignOut={onSignOut} />
          </>
        }
      />
      {route.kind === 'analytics' ? (
        <main className="main">
          <TopBar title="Analytics" demo={status?.demo ?? false} exportUrl={null} onMenu={() => setSidebarOpen(true)} picker={null} />
          <Suspense fallback={<div className="page muted" role="status">Loading…</div>}>
            <Analytics userFilter={!access.local && (me.role === 'admin' || me.role === 'auditor')} />
          </Suspense>
        </main>
      ) : route.kind === 'evaluations' ? (
        <main className="main">
          <TopBar title="Evaluations" demo={status?.demo ?? false} exportUrl={null} onMenu={() => setSidebarOpen(true)} picker={null} />
          <Evaluations />
        </main>
      ) : route.kind === 'batches' ? (
        <main className="main">
          <TopBar title="Batches" demo={status?.demo ?? false} exportUrl={null} onMenu={() => setSidebarOpen(true)} picker={null} />
          <Batches />
        </main>
      ) : page ? (
        <main className="main">
          <TopBar title={PAGE_TITLE[page]} demo={status?.demo ?? false} exportUrl={null} onMenu={() => setSidebarOpen(true)} picker={null} />
          <PageView page={page} me={me} access={access} onSignOut={onSignOut} />
        </main>
      ) : (
        <main className={`main${drop.dragging ? ' main--dropping' : ''}`} {...drop.handlers}>
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
                mode={mode}
                onModeChange={chooseMode}
                disabled={runningHere || (currentId !== null && !conversation)}
                canShare={me.scopes.includes('admin')}
              />
            }
          />
          <ReaderContext.Provider value={readerActions}>
            <div className={`main__body${docs.reader ? ' main__body--reading' : ''}`}>
              <div className="main__column">
                {loadError ? (
                  <div className="chat">
                    <p className="notice notice--error chat__inner" role="alert">
                      {loadError}
                    </p>
                  </div>
                ) : conversation && (conversation.messages.length > 0 || hasDocuments || (live && live.conversationId === conversation.id)) ? (
                  <Chat
                    conversation={conversation}
                    live={live}
                    onRetry={(run) => {
                      if (run.runId) forgetRunDocuments(conversation.id, run.runId);
                      council.retry(conversation.id, run);
                    }}
                    header={
                      <DocumentShelf
                        conversationId={conversation.id}
                        documents={docs.documents}
                        details={docs.details}
                        error={docs.error}
                        onExpand={(id) => void docs.detail(id)}
                        onOpen={docs.openReader}
                        onDiscuss={discuss}
                        onRemove={docs.remove}
                        onDismissError={docs.clearError}
                        canDiscuss={access.canAsk && !running}
                      />
                    }
                  />
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
                  <Uploads items={docs.uploads} onDismiss={docs.dismissUpload} />
                  <Composer
                    value={draft}
                    onChange={setDraft}
                    onSend={(t) => void send(t)}
                    onStop={() => void council.stop()}
                    running={runningHere}
                    stopping={live?.stopping ?? false}
                    disabled={(running && !runningHere) || Boolean(loadError) || !access.canAsk}
                    placeholder={
                      !access.canAsk
                        ? 'Read-only: your role cannot ask the council'
                        : (conversation && conversation.messages.length > 0) || runningHere
                          ? 'Ask a follow-up…'
                          : hasDocuments
                            ? 'Ask the council about your documents…'
                            : 'Ask the council a question…'
                    }
                    onAttach={canAttach ? (files) => void docs.attach(files) : undefined}
                    size={size}
                    waitingFor={stillReading}
                    mode={{ value: mode, options: MODE_OPTIONS, onChange: (m) => chooseMode(m as Mode) }}
                  />
                </div>
              </div>
              {conversation && docs.reader && (
                <Reader
                  conversationId={conversation.id}
                  target={docs.reader}
                  detail={docs.details[docs.reader.documentId]}
                  onNeedDetail={docs.detail}
                  onNavigate={docs.openReader}
                  onDiscuss={(id, position) => void discussAt(id, position)}
                  onClose={docs.closeReader}
                  canDiscuss={access.canAsk && !running}
                />
              )}
            </div>
          </ReaderContext.Provider>
          {drop.dragging && (
            <div className="dropzone" aria-hidden="true">
              <div className="dropzone__box">Drop to attach: PDF, EPUB, DOCX, HTML, Markdown, text or images</div>
            </div>
          )}
        </main>
      )}
    </div>
  );
}
