import { useEffect, useMemo, useState } from 'react';
import { analyticsApi, type AgreementPeriod, type AnalyticsReports } from '../../api/analytics';
import { api } from '../../api/client';
import { ErrorNote, errorText, Page, Panel } from '../Common/Page';
import { Agreement } from './Agreement';
import { Costs } from './Costs';
import { FilterBar, type UserOption } from './FilterBar';
import { apiFilters, NO_FILTERS, optionList, periodFor, type FilterState } from './filters';
import { Quality } from './Quality';
import { Reviewers } from './Reviewers';
import { hasAnyData } from './shape';

/** What the page shows when the filtered runs hold nothing. */
export function EmptyAnalytics({ filtered }: { filtered: boolean }) {
  return (
    <Panel title="Nothing to show yet">
      <p className="analytics-empty" role="status">
        {filtered
          ? 'No finished run matches these filters. Widen the time range or clear a filter.'
          : 'No council has finished yet. Ask the council a question: each finished run adds its reviews, costs and timings here, and each vote on a run adds to the comparison with people.'}
      </p>
    </Panel>
  );
}

/**
 * Analytics across runs: how strong each model's answers were (peer reviews and people's
 * votes), how each model reviews, how often people agree with the council, and what it cost.
 * Members see their own runs; administrators and auditors everyone's, and may pick one user.
 */
export function Analytics({ userFilter }: { userFilter: boolean }) {
  const [filters, setFilters] = useState<FilterState>(NO_FILTERS);
  const [period, setPeriod] = useState<AgreementPeriod>(periodFor(NO_FILTERS));
  const [reports, setReports] = useState<AnalyticsReports | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [configured, setConfigured] = useState<{ presets: string[]; models: string[] }>({ presets: [], models: [] });
  const [users, setUsers] = useState<UserOption[] | null>(null);
  const [currency, setCurrency] = useState('USD');

  useEffect(() => {
    api.models().then(
      (m) =>
        setConfigured({
          presets: m.presets.map((p) => p.name),
          models: m.presets.flatMap((p) => [...p.members, p.chairman]),
        }),
      () => undefined,
    );
    // The usage report names the users who ran something (and the ledger's currency).
    api.usage({ groupBy: userFilter ? 'user' : 'model' }).then(
      (u) => {
        setCurrency(u.currency);
        if (userFilter) setUsers(u.rows.filter((r) => r.id).map((r) => ({ id: r.id!, name: r.name ?? r.id! })));
      },
      () => undefined,
    );
  }, [userFilter]);

  const query = useMemo(() => apiFilters(filters, new Date()), [filters]);
  useEffect(() => {
    let stale = false;
    setLoading(true);
    analyticsApi.all(query, period).then(
      (r) => {
        if (stale) return;
        setReports(r);
        setError(null);
        setLoading(false);
      },
      (err) => {
        if (stale) return;
        setError(`Could not load the analytics: ${errorText(err)}`);
        setLoading(false);
      },
    );
    return () => {
      stale = true;
    };
  }, [query, period]);

  const changeFilters = (next: FilterState) => {
    if (next.range !== filters.range || next.from !== filters.from || next.to !== filters.to) setPeriod(periodFor(next));
    setFilters(next);
  };

  const presets = optionList(configured.presets, reports?.costs.by_preset.map((p) => p.preset) ?? [], [filters.preset]);
  const models = optionList(configured.models, reports?.costs.by_model.map((m) => m.model) ?? [], [filters.model]);
  const filtered = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);

  return (
    <Page label="Analytics">
      <Panel title="Which runs" actions={loading ? <span className="muted" role="status">Loading…</span> : undefined}>
        <p className="panel__lead muted">
          {userFilter ? 'Everyone’s runs' : 'Your runs'}: figures with their sample size n; those resting on fewer than 20 cases say “small sample”.
        </p>
        <FilterBar value={filters} onChange={changeFilters} presets={presets} models={models} users={userFilter ? (users ?? []) : null} />
      </Panel>
      <ErrorNote error={error} />
      {reports &&
        (hasAnyData(reports) ? (
          <>
            <Quality report={reports.models} />
            <Agreement report={reports.agreement} period={period} onPeriod={setPeriod} />
            <Reviewers report={reports.reviewers} />
            <Costs costs={reports.costs} models={reports.models} agreement={reports.agreement} currency={currency} />
          </>
        ) : (
          <EmptyAnalytics filtered={filtered} />
        ))}
    </Page>
  );
}
