import { useCallback, useEffect, useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { ApiKey, Budget, BudgetSet, UsageGroup, UsageReport, User } from '../../api/types';
import { formatCost, formatCount, formatDateTime } from '../../lib/format';
import { ConfirmButton } from '../Common/ConfirmButton';
import { ErrorNote, errorText, Page, Panel } from '../Common/Page';

const GROUPS: { value: UsageGroup; label: string }[] = [
  { value: 'model', label: 'Model' },
  { value: 'user', label: 'User' },
  { value: 'key', label: 'API key' },
  { value: 'run', label: 'Run' },
];

const PERIODS: BudgetSet['period'][] = ['day', 'week', 'month', 'total'];
const PERIOD_TEXT: Record<string, string> = { day: 'per day', week: 'per week', month: 'per month', total: 'in total' };

/** A date field's day as the start of that day in the viewer's time, in UTC ISO form. */
function dayStart(value: string, plusDays = 0): string | undefined {
  if (!value) return undefined;
  const d = new Date(`${value}T00:00:00`);
  if (Number.isNaN(d.getTime())) return undefined;
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
}

function UsageTable({ report, group }: { report: UsageReport; group: UsageGroup }) {
  const rows = report.rows;
  if (rows.length === 0) return <p className="muted">No usage in this period.</p>;
  const total = rows.reduce(
    (t, r) => ({
      runs: t.runs + r.runs,
      calls: t.calls + r.calls,
      prompt: t.prompt + r.prompt_tokens,
      completion: t.completion + r.completion_tokens,
      tokens: t.tokens + r.total_tokens,
      cost: t.cost + r.cost,
    }),
    { runs: 0, calls: 0, prompt: 0, completion: 0, tokens: 0, cost: 0 },
  );
  const label = GROUPS.find((g) => g.value === group)?.label ?? group;
  return (
    <div className="table-scroll">
      <table className="data-table" aria-label={`Usage per ${label.toLowerCase()}`}>
        <thead>
          <tr>
            <th scope="col">{label}</th>
            <th scope="col" className="num">
              Runs
            </th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num">
              Prompt tokens
            </th>
            <th scope="col" className="num">
              Completion tokens
            </th>
            <th scope="col" className="num">
              Total tokens
            </th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col">Last</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={r.id ?? `${r.name}-${i}`}>
              <td className="data-table__strong">{r.name ?? r.id ?? (group === 'key' ? 'no key (web UI)' : group === 'run' ? 'outside a run (background summaries)' : '–')}</td>
              <td className="num">{formatCount(r.runs)}</td>
              <td className="num">{formatCount(r.calls)}</td>
              <td className="num">{formatCount(r.prompt_tokens)}</td>
              <td className="num">{formatCount(r.completion_tokens)}</td>
              <td className="num">{formatCount(r.total_tokens)}</td>
              <td className="num">{formatCost(r.cost, report.currency)}</td>
              <td className="nowrap">{formatDateTime(r.last)}</td>
            </tr>
          ))}
        </tbody>
        {rows.length > 1 && (
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td className="num">{group === 'model' ? '' : formatCount(total.runs)}</td>
              <td className="num">{formatCount(total.calls)}</td>
              <td className="num">{formatCount(total.prompt)}</td>
              <td className="num">{formatCount(total.completion)}</td>
              <td className="num">{formatCount(total.tokens)}</td>
              <td className="num">{formatCost(total.cost, report.currency)}</td>
              <td />
            </tr>
          </tfoot>
        )}
      </table>
    </div>
  );
}

function limitText(b: Budget, currency: string): string {
  return [b.limit_cost !== null ? formatCost(b.limit_cost, currency) : null, b.limit_tokens !== null ? `${formatCount(b.limit_tokens)} tokens` : null]
    .filter(Boolean)
    .join(' and ');
}

function spentText(b: Budget, currency: string): string {
  const parts: string[] = [];
  if (b.limit_cost !== null) parts.push(`${formatCost(b.spent_cost ?? 0, currency)} of ${formatCost(b.limit_cost, currency)}`);
  if (b.limit_tokens !== null) parts.push(`${formatCount(b.spent_tokens ?? 0)} of ${formatCount(b.limit_tokens)} tokens`);
  return parts.join(', ');
}

/** The share of the tightest limit used, 0–1. */
export function budgetShare(b: Budget): number {
  const shares: number[] = [];
  if (b.limit_cost) shares.push((b.spent_cost ?? 0) / b.limit_cost);
  if (b.limit_tokens) shares.push((b.spent_tokens ?? 0) / b.limit_tokens);
  return Math.min(1, Math.max(0, ...shares, 0));
}

function MyBudgets({ currency }: { currency: string }) {
  const [budgets, setBudgets] = useState<Budget[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.myBudgets().then(setBudgets, (err) => setError(`Could not load your budgets: ${errorText(err)}`));
  }, []);
  return (
    <Panel title="Budgets that apply to you">
      <ErrorNote error={error} />
      {budgets && budgets.length === 0 && <p className="muted">No budget limits your use.</p>}
      {budgets && budgets.length > 0 && (
        <ul className="budget-list">
          {budgets.map((b) => {
            const share = budgetShare(b);
            return (
              <li key={b.id} className={`budget${b.exceeded ? ' budget--exceeded' : ''}`}>
                <div className="budget__head">
                  <strong>
                    {limitText(b, currency)} {PERIOD_TEXT[b.period] ?? b.period}
                  </strong>
                  <span className={`pill pill--${b.hard ? 'hard' : 'soft'}`}>{b.hard ? 'Hard limit' : 'Soft limit'}</span>
                  {b.exceeded && <span className="pill pill--revoked">Used up</span>}
                </div>
                <progress className={`meter${share >= 1 ? ' meter--full' : ''}`} max={1} value={share} aria-label="Share of the budget used" />
                <div className="muted budget__text">
                  {spentText(b, currency)} used
                  {b.period_end ? ` · renews ${formatDateTime(b.period_end)}` : ''}
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </Panel>
  );
}

function subjectText(b: Budget, users: Map<string, string>, keys: Map<string, string>): string {
  if (!b.subject_id) return b.subject_type === 'user' ? 'Every user without a budget of their own' : 'Every API key without a budget of its own';
  const names = b.subject_type === 'user' ? users : keys;
  return `${b.subject_type === 'user' ? 'User' : 'Key'} ${names.get(b.subject_id) ?? b.subject_id}`;
}

function SetBudget({ users, keys, onSaved }: { users: User[]; keys: ApiKey[]; onSaved: (b: Budget) => void }) {
  const [subjectType, setSubjectType] = useState<BudgetSet['subject_type']>('user');
  const [subjectId, setSubjectId] = useState('');
  const [period, setPeriod] = useState<BudgetSet['period']>('month');
  const [cost, setCost] = useState('');
  const [tokens, setTokens] = useState('');
  const [hard, setHard] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const subjects = subjectType === 'user' ? users.map((u) => ({ id: u.id, name: u.username })) : keys.map((k) => ({ id: k.id, name: `${k.name} (${k.prefix})` }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!cost && !tokens) return setError('Set a limit in money, in tokens, or both.');
    setBusy(true);
    setError(null);
    try {
      const body: BudgetSet = {
        subject_type: subjectType,
        subject_id: subjectId || null,
        period,
        limit_cost: cost ? Number(cost) : null,
        limit_tokens: tokens ? Math.round(Number(tokens)) : null,
        hard,
      };
      onSaved(await api.setBudget(body));
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="stack" onSubmit={submit} aria-label="Set a budget" noValidate>
      <div className="form-row">
        <label className="field">
          <span className="field__label">For</span>
          <select
            value={subjectType}
            onChange={(e) => {
              setSubjectType(e.target.value as BudgetSet['subject_type']);
              setSubjectId('');
            }}
          >
            <option value="user">a user</option>
            <option value="key">an API key</option>
          </select>
        </label>
        <label className="field field--grow">
          <span className="field__label">Which</span>
          <select value={subjectId} onChange={(e) => setSubjectId(e.target.value)}>
            <option value="">Default: every {subjectType === 'user' ? 'user' : 'key'} without its own</option>
            {subjects.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Period</span>
          <select value={period} onChange={(e) => setPeriod(e.target.value as BudgetSet['period'])}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                {PERIOD_TEXT[p]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="form-row">
        <label className="field">
          <span className="field__label">Cost limit</span>
          <input type="number" min="0" step="0.01" inputMode="decimal" value={cost} onChange={(e) => setCost(e.target.value)} />
        </label>
        <label className="field">
          <span className="field__label">Token limit</span>
          <input type="number" min="0" step="1000" inputMode="numeric" value={tokens} onChange={(e) => setTokens(e.target.value)} />
        </label>
        <label className="check check--inline">
          <input type="checkbox" checked={hard} onChange={(e) => setHard(e.target.checked)} />
          <span>Hard: refuse runs once used up (else only warn)</span>
        </label>
      </div>
      <p className="field__hint">Setting a budget for the same subject and period again changes it. Periods are UTC.</p>
      <ErrorNote error={error} />
      <div>
        <button type="submit" className="btn btn--primary" disabled={busy}>
          {busy ? 'Saving…' : 'Save budget'}
        </button>
      </div>
    </form>
  );
}

function AllBudgets({ currency, onChanged }: { currency: string; onChanged: () => void }) {
  const [budgets, setBudgets] = useState<Budget[] | null>(null);
  const [users, setUsers] = useState<User[]>([]);
  const [keys, setKeys] = useState<ApiKey[]>([]);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api.listBudgets().then(setBudgets, (err) => setError(`Could not load the budgets: ${errorText(err)}`));
  }, []);
  const changed = () => {
    load();
    onChanged();
  };
  useEffect(() => {
    load();
    api.listUsers().then((u) => setUsers(u as User[]), () => undefined);
    api.listKeys({ everyone: true }).then((k) => setKeys(k.filter((x) => x.active)), () => undefined);
  }, [load]);
  const userNames = useMemo(() => new Map(users.map((u) => [u.id, u.username])), [users]);
  const keyNames = useMemo(() => new Map(keys.map((k) => [k.id, `${k.name} (${k.prefix})`])), [keys]);

  return (
    <Panel title="All budgets">
      <ErrorNote error={error} />
      {budgets && budgets.length === 0 && <p className="muted">No budgets: spending is limited only by the providers.</p>}
      {budgets && budgets.length > 0 && (
        <div className="table-scroll">
          <table className="data-table" aria-label="Budgets">
            <thead>
              <tr>
                <th scope="col">Applies to</th>
                <th scope="col">Limit</th>
                <th scope="col">Period</th>
                <th scope="col">Kind</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {budgets.map((b) => (
                <tr key={b.id}>
                  <td>{subjectText(b, userNames, keyNames)}</td>
                  <td>{limitText(b, currency)}</td>
                  <td>{PERIOD_TEXT[b.period] ?? b.period}</td>
                  <td>
                    <span className={`pill pill--${b.hard ? 'hard' : 'soft'}`}>{b.hard ? 'Hard' : 'Soft'}</span>
                  </td>
                  <td className="data-table__actions">
                    <ConfirmButton
                      label="Delete"
                      ariaLabel={`Delete the budget for ${subjectText(b, userNames, keyNames)}`}
                      question="Delete this budget?"
                      confirmLabel="Delete"
                      onConfirm={async () => {
                        try {
                          await api.deleteBudget(b.id);
                          changed();
                        } catch (err) {
                          setError(`Could not delete the budget: ${errorText(err)}`);
                        }
                      }}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h4 className="panel__subtitle">Set a budget</h4>
      <SetBudget users={users} keys={keys} onSaved={changed} />
    </Panel>
  );
}

/**
 * Tokens and cost per model, user, API key or run (members: their own), budgets that apply to
 * the caller, and — for administrators — every budget, editable.
 */
export function Usage({ seesEveryone, admin }: { seesEveryone: boolean; admin: boolean }) {
  const [group, setGroup] = useState<UsageGroup>(seesEveryone ? 'user' : 'model');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [report, setReport] = useState<UsageReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [budgetsChanged, setBudgetsChanged] = useState(0);

  useEffect(() => {
    let stale = false;
    api.usage({ groupBy: group, since: dayStart(from), until: dayStart(to, 1) }).then(
      (r) => {
        if (stale) return;
        setReport(r);
        setError(null);
      },
      (err) => !stale && setError(`Could not load usage: ${errorText(err)}`),
    );
    return () => {
      stale = true;
    };
  }, [group, from, to]);

  const currency = report?.currency ?? 'USD';
  return (
    <Page label="Usage and budgets">
      <Panel title={seesEveryone ? 'Usage: everyone' : 'Your usage'}>
        <div className="form-row" role="group" aria-label="Usage filters">
          <label className="field">
            <span className="field__label">Per</span>
            <select value={group} onChange={(e) => setGroup(e.target.value as UsageGroup)}>
              {GROUPS.filter((g) => seesEveryone || g.value !== 'user').map((g) => (
                <option key={g.value} value={g.value}>
                  {g.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field__label">From</span>
            <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="field">
            <span className="field__label">To</span>
            <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
        </div>
        <ErrorNote error={error} />
        {report && <UsageTable report={report} group={group} />}
        <p className="field__hint">Cost is the provider’s figure when it reports one, else the configured prices; unknown costs count as 0.</p>
      </Panel>
      <MyBudgets key={budgetsChanged} currency={currency} />
      {admin && <AllBudgets currency={currency} onChanged={() => setBudgetsChanged((n) => n + 1)} />}
    </Page>
  );
}
