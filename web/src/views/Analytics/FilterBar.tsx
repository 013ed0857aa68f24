import { RANGES, type FilterState, type RangeChoice } from './filters';

export interface UserOption {
  id: string;
  name: string;
}

/**
 * Preset, model, time range and — for those who see everyone's runs — user. A change applies at
 * once; "Clear" goes back to everything.
 */
export function FilterBar({
  value,
  onChange,
  presets,
  models,
  users,
}: {
  value: FilterState;
  onChange: (next: FilterState) => void;
  presets: string[];
  models: string[];
  /** null: the caller sees only their own runs, so there is no user to choose. */
  users: UserOption[] | null;
}) {
  const set = (patch: Partial<FilterState>) => onChange({ ...value, ...patch });
  const filtered = value.preset || value.model || value.userId || value.range !== 'all';
  return (
    <div className="form-row analytics-filters" role="group" aria-label="Analytics filters">
      <label className="field">
        <span className="field__label">Preset</span>
        <select value={value.preset} onChange={(e) => set({ preset: e.target.value })}>
          <option value="">Every preset</option>
          {presets.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field__label">Model</span>
        <select value={value.model} onChange={(e) => set({ model: e.target.value })}>
          <option value="">Every model</option>
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="field__label">Time</span>
        <select value={value.range} onChange={(e) => set({ range: e.target.value as RangeChoice })}>
          {RANGES.map((r) => (
            <option key={r.value} value={r.value}>
              {r.label}
            </option>
          ))}
        </select>
      </label>
      {value.range === 'custom' && (
        <>
          <label className="field">
            <span className="field__label">From</span>
            <input type="date" value={value.from} onChange={(e) => set({ from: e.target.value })} />
          </label>
          <label className="field">
            <span className="field__label">To</span>
            <input type="date" value={value.to} onChange={(e) => set({ to: e.target.value })} />
          </label>
        </>
      )}
      {users && (
        <label className="field">
          <span className="field__label">User</span>
          <select value={value.userId} onChange={(e) => set({ userId: e.target.value })}>
            <option value="">Everyone</option>
            {users.map((u) => (
              <option key={u.id} value={u.id}>
                {u.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {filtered && (
        <button
          type="button"
          className="btn btn--ghost btn--small analytics-filters__clear"
          onClick={() => onChange({ preset: '', model: '', range: 'all', from: '', to: '', userId: '' })}
        >
          Clear filters
        </button>
      )}
    </div>
  );
}
