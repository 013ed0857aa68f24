import { Fragment, useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, type AuditFilters } from '../../api/client';
import type { AuditPage, AuditRecord, ChainReport } from '../../api/types';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, firstBreak, shortHash, summariseDetails } from '../../lib/audit';
import { formatDateTime, localInputToIso } from '../../lib/format';
import { CopyButton } from '../Common/CopyButton';
import { ErrorNote, errorText, Page, Panel } from '../Common/Page';

const PAGE_SIZE = 50;

interface Draft {
  action: string;
  actor: string;
  target: string;
  outcome: string;
  since: string;
  until: string;
}

const NO_FILTERS: Draft = { action: '', actor: '', target: '', outcome: '', since: '', until: '' };

function toFilters(d: Draft): AuditFilters {
  return {
    action: d.action.trim() || undefined,
    actor: d.actor.trim() || undefined,
    target: d.target.trim() || undefined,
    outcome: d.outcome || undefined,
    since: localInputToIso(d.since) || undefined,
    until: localInputToIso(d.until) || undefined,
  };
}

function outcomeClass(outcome: string): string {
  if (outcome === 'success' || outcome === 'complete') return 'active';
  if (outcome === 'failure' || outcome === 'failed' || outcome === 'refused') return 'revoked';
  return 'expired';
}

/** The result of checking the hash chain: intact with its head, or where it broke. */
export function ChainResult({ report, onShow }: { report: ChainReport; onShow: (seq: number) => void }) {
  const broke = firstBreak(report);
  if (broke === null) {
    const anchor = `${report.head.seq}:${report.head.hash}`;
    return (
      <div className="chain chain--ok" role="status">
        <p className="chain__verdict">
          <span aria-hidden="true">✓</span> Chain intact: {report.records.toLocaleString('en')} record(s), head {report.head.seq}:
          <code title={report.head.hash}>{shortHash(report.head.hash)}</code>
        </p>
        <p className="muted chain__hint">
          Keep the head somewhere the database’s writers cannot reach; checking against it later also finds records cut off
          the end. <CopyButton text={anchor} label="Copy the head as an anchor" />
        </p>
      </div>
    );
  }
  return (
    <div className="chain chain--broken" role="alert">
      <p className="chain__verdict">
        <span aria-hidden="true">✗</span> The chain is broken at record {broke}. {report.problems.length} problem(s) in{' '}
        {report.records.toLocaleString('en')} record(s):
      </p>
      <ul className="chain__problems">
        {report.problems.map((p, i) => (
          <li key={`${p.seq}-${p.kind}-${i}`}>
            <span className="pill pill--revoked">{p.kind.replace(/_/g, ' ')}</span> {p.message}{' '}
            <button type="button" className="btn btn--small btn--ghost" onClick={() => onShow(p.seq)}>
              Show record {p.seq}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Verify({ onShow }: { onShow: (seq: number) => void }) {
  const [anchor, setAnchor] = useState('');
  const [report, setReport] = useState<ChainReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const verify = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await api.verifyAudit(anchor.trim() || undefined));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Integrity">
      <form className="form-row" onSubmit={verify} aria-label="Verify the audit chain">
        <label className="field field--grow">
          <span className="field__label">Anchor (optional)</span>
          <input type="text" spellCheck={false} placeholder="SEQ:HASH of a head you kept" value={anchor} onChange={(e) => setAnchor(e.target.value)} />
        </label>
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {busy ? 'Verifying…' : 'Verify chain'}
        </button>
      </form>
      <p className="field__hint">Recomputes every record’s hash and link, as <code>council audit verify</code> does.</p>
      <ErrorNote error={error} />
      {report && <ChainResult report={report} onShow={onShow} />}
    </Panel>
  );
}

function RecordRow({ record, onActor }: { record: AuditRecord; onActor: (id: string) => void }) {
  const [open, setOpen] = useState(false);
  const summary = summariseDetails(record.details);
  return (
    <Fragment>
      <tr data-seq={record.seq}>
        <td className="num">{record.seq}</td>
        <td className="nowrap">{formatDateTime(record.created_at)}</td>
        <td>
          <code className="audit-action">{record.action}</code>
        </td>
        <td>
          <span className={`pill pill--${outcomeClass(record.outcome)}`}>{record.outcome}</span>
        </td>
        <td>
          {record.actor_user_id ? (
            <button type="button" className="link-button" title="Show only this actor’s records" onClick={() => onActor(record.actor_user_id!)}>
              {record.actor_name ?? record.actor_user_id}
            </button>
          ) : (
            <span>{record.actor_name ?? '–'}</span>
          )}
          {(record.actor_key_id || record.actor_ip) && (
            <div className="muted data-table__sub">{[record.actor_key_id ? 'API key' : null, record.actor_ip].filter(Boolean).join(' · ')}</div>
          )}
        </td>
        <td className="audit-details">
          {summary || <span className="muted">–</span>}
          <button
            type="button"
            className="btn btn--small btn--ghost audit-details__toggle"
            aria-expanded={open}
            aria-label={`${open ? 'Hide' : 'Show'} record ${record.seq} in full`}
            onClick={() => setOpen(!open)}
          >
            {open ? 'Less' : 'More'}
          </button>
        </td>
      </tr>
      {open && (
        <tr className="data-table__detail">
          <td colSpan={6}>
            <dl className="facts facts--compact">
              <div>
                <dt>Target</dt>
                <dd>
                  <code>{record.target ?? '–'}</code>
                </dd>
              </div>
              <div>
                <dt>Actor id</dt>
                <dd>
                  <code>{record.actor_user_id ?? '–'}</code>
                </dd>
              </div>
              {record.actor_key_id && (
                <div>
                  <dt>API key id</dt>
                  <dd>
                    <code>{record.actor_key_id}</code>
                  </dd>
                </div>
              )}
              <div>
                <dt>Hash</dt>
                <dd>
                  <code className="break">{record.hash}</code>
                </dd>
              </div>
              <div>
                <dt>Previous</dt>
                <dd>
                  <code className="break">{record.prev_hash}</code>
                </dd>
              </div>
            </dl>
            <pre className="json">{JSON.stringify(record.details, null, 2)}</pre>
          </td>
        </tr>
      )}
    </Fragment>
  );
}

/**
 * The audit log, newest first: filters the API supports, paging backwards, a JSONL export of
 * what the filters select, and a check of the hash chain that says where it broke.
 */
export function Audit() {
  const [draft, setDraft] = useState<Draft>(NO_FILTERS);
  const [applied, setApplied] = useState<AuditFilters>({});
  /** `before_seq` of each page seen, the current one last (null: the newest). */
  const [cursors, setCursors] = useState<(number | null)[]>([null]);
  const [page, setPage] = useState<AuditPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const cursor = cursors.at(-1) ?? null;

  const load = useCallback(async (filters: AuditFilters, beforeSeq: number | null) => {
    setLoading(true);
    try {
      setPage(await api.audit(filters, { beforeSeq, limit: PAGE_SIZE }));
      setError(null);
    } catch (err) {
      setError(`Could not load the audit log: ${errorText(err)}`);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    void load(applied, cursor);
  }, [applied, cursor, load]);

  const apply = (next: Draft) => {
    setDraft(next);
    setApplied(toFilters(next));
    setCursors([null]);
  };

  const showRecord = (seq: number) => {
    setDraft(NO_FILTERS);
    setApplied({});
    setCursors([null, seq + 1]);
  };

  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const filtered = Object.values(applied).some(Boolean);

  return (
    <Page label="Audit log">
      <Verify onShow={showRecord} />
      <Panel
        title="Records"
        actions={
          <a className="btn btn--small" href={api.auditExportUrl(applied)} download>
            Export JSONL
          </a>
        }
      >
        <form
          className="form-row audit-filters"
          aria-label="Filter the audit log"
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <label className="field">
            <span className="field__label">Action</span>
            <input type="text" list="audit-actions" spellCheck={false} placeholder="e.g. key. or council.run" value={draft.action} onChange={(e) => set({ action: e.target.value })} />
            <datalist id="audit-actions">
              {AUDIT_ACTIONS.map((a) => (
                <option key={a} value={a} />
              ))}
            </datalist>
          </label>
          <label className="field">
            <span className="field__label">Outcome</span>
            <select value={draft.outcome} onChange={(e) => set({ outcome: e.target.value })}>
              <option value="">any</option>
              {AUDIT_OUTCOMES.map((o) => (
                <option key={o} value={o}>
                  {o}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field__label">Actor (user id)</span>
            <input type="text" spellCheck={false} value={draft.actor} onChange={(e) => set({ actor: e.target.value })} />
          </label>
          <label className="field">
            <span className="field__label">Target</span>
            <input type="text" spellCheck={false} value={draft.target} onChange={(e) => set({ target: e.target.value })} />
          </label>
          <label className="field">
            <span className="field__label">Since</span>
            <input type="datetime-local" value={draft.since} onChange={(e) => set({ since: e.target.value })} />
          </label>
          <label className="field">
            <span className="field__label">Until</span>
            <input type="datetime-local" value={draft.until} onChange={(e) => set({ until: e.target.value })} />
          </label>
          <div className="audit-filters__buttons">
            <button type="submit" className="btn btn--primary">
              Filter
            </button>
            {filtered && (
              <button type="button" className="btn btn--ghost" onClick={() => apply(NO_FILTERS)}>
                Clear
              </button>
            )}
          </div>
        </form>
        <ErrorNote error={error} />
        {page && page.records.length === 0 && <p className="muted">No record matches.</p>}
        {page && page.records.length > 0 && (
          <div className="table-scroll">
            <table className="data-table audit-table" aria-label="Audit records" aria-busy={loading}>
              <thead>
                <tr>
                  <th scope="col" className="num">
                    #
                  </th>
                  <th scope="col">Time</th>
                  <th scope="col">Action</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {page.records.map((r) => (
                  <RecordRow key={r.seq} record={r} onActor={(actor) => apply({ ...NO_FILTERS, actor })} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className="pager" aria-label="Audit log pages">
          <button type="button" className="btn btn--small" disabled={cursors.length <= 1} onClick={() => setCursors([null])}>
            Newest
          </button>
          <button type="button" className="btn btn--small" disabled={cursors.length <= 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
            ← Newer
          </button>
          <span className="muted pager__where">
            {page && page.records.length > 0 ? `Records ${page.records.at(-1)!.seq}–${page.records[0]!.seq}` : ''}
          </span>
          <button
            type="button"
            className="btn btn--small"
            disabled={!page?.next_before_seq}
            onClick={() => page?.next_before_seq && setCursors((c) => [...c, page.next_before_seq])}
          >
            Older →
          </button>
        </nav>
      </Panel>
    </Page>
  );
}
