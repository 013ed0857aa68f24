import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { api } from '../../api/client';
import type { ModelsInfo, SavedPreset } from '../../api/types';
import { shortModelName } from '../../lib/deanonymise';
import { councilProblem, type Composition } from './catalogue';
import { ESTIMATE_METHOD, MODES, estimateCost, formatDollars, type Mode, type Prices } from './estimate';
import { ModelTable } from './ModelTable';
import { ReasoningControls } from './ReasoningControls';
import { EMPTY_REASONING, fromSaved, reasoningProblem, toSaved, type ReasoningForm, type StageReasoning } from './reasoning';

export interface CouncilChoice {
  preset: string | null;
  members: string[];
  chairman: string | null;
  /** Effort and output budgets of a composed council, sent with it (null: the preset's). */
  reasoning?: StageReasoning | null;
}

/** The deliberation modes, as the composer and the picker offer them. */
export const MODE_OPTIONS: readonly { value: Mode; label: string }[] = [
  { value: 'classic', label: 'Classic: answers, review, synthesis' },
  { value: 'select', label: 'Select: the best-reviewed answer' },
  { value: 'revise', label: 'Revise: members revise, then synthesis' },
  { value: 'self-moa', label: 'Self-MoA: one model sampled' },
  { value: 'answers', label: 'Answers side by side' },
];

const CUSTOM = '__custom__';
const SAVED = 'saved:';

export function describeCouncil(choice: CouncilChoice): string {
  const who = choice.members.length ? `${choice.members.length} members` : 'default members';
  const chair = choice.chairman ? `, Chairman ${shortModelName(choice.chairman)}` : '';
  return `${choice.preset ?? 'custom'} · ${who}${chair}`;
}

/**
 * Chooses the council of a conversation: a configured preset, a saved one, or members and a
 * chairman composed from the provider's catalogue (search, prices, context, deprecations), with
 * the estimated cost of one question. A composed council can be saved as a personal preset, or
 * by an administrator (`canShare`) as a shared one.
 */
export function CouncilPicker({
  models,
  value,
  onSave,
  disabled,
  canShare = false,
  mode: chosenMode,
  onModeChange,
}: {
  models: ModelsInfo | null;
  value: CouncilChoice;
  onSave: (choice: CouncilChoice) => Promise<void> | void;
  disabled?: boolean;
  canShare?: boolean;
  /** The mode of the next question, shared with the composer (else the picker's own). */
  mode?: Mode;
  onModeChange?: (mode: Mode) => void;
}) {
  const [open, setOpen] = useState(false);
  const [preset, setPreset] = useState<string>(value.preset ?? CUSTOM);
  const [council, setCouncil] = useState<Composition>({ members: value.members, chairman: value.chairman ?? '' });
  const [ownMode, setOwnMode] = useState<Mode>('classic');
  const mode = chosenMode ?? ownMode;
  const setMode = (next: Mode) => (onModeChange ? onModeChange(next) : setOwnMode(next));
  const [saved, setSaved] = useState<SavedPreset[]>([]);
  const [saveName, setSaveName] = useState('');
  const [shared, setShared] = useState(false);
  const [reasoning, setReasoning] = useState<ReasoningForm>(EMPTY_REASONING);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const base = useId();

  useEffect(() => {
    if (!open) {
      setPreset(value.preset ?? CUSTOM);
      setCouncil({ members: value.members, chairman: value.chairman ?? '' });
      setReasoning(value.reasoning ? fromSaved(value.reasoning) : EMPTY_REASONING);
      setError(null);
      setNotice(null);
    }
  }, [open, value.preset, value.members, value.chairman, value.reasoning]);

  useEffect(() => {
    if (open) api.savedPresets().then((r) => setSaved(r.presets), () => setSaved([]));
  }, [open]);

  const presets = models?.presets ?? [];
  const catalogue = useMemo(() => models?.catalogue ?? [], [models]);
  const retired = useMemo(() => new Set(catalogue.filter((m) => m.expired).map((m) => m.id)), [catalogue]);
  const prices = useMemo(() => new Map<string, Prices>(catalogue.map((m) => [m.id, m])), [catalogue]);
  const all = Array.from(new Set([...(models?.models ?? []), ...value.members, ...(value.chairman ? [value.chairman] : [])]));
  const chosenPreset = presets.find((p) => p.name === preset);
  const chosenSaved = saved.find((p) => SAVED + p.id === preset);
  const composing = preset === CUSTOM || chosenSaved !== undefined;
  const shown: Composition = chosenPreset ? { members: chosenPreset.members, chairman: chosenPreset.chairman } : council;
  const estimate = shown.members.length && shown.chairman ? estimateCost(prices, shown.members, shown.chairman, mode) : null;

  const pick = (next: string) => {
    setPreset(next);
    const found = saved.find((p) => SAVED + p.id === next);
    if (found) {
      setCouncil({ members: found.members, chairman: found.chairman });
      setReasoning(fromSaved(found.reasoning));
      if (found.mode && (MODES as readonly string[]).includes(found.mode)) setMode(found.mode as Mode);
      setSaveName(found.name);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let choice: CouncilChoice;
    if (!composing && chosenPreset) {
      choice = { preset, members: chosenPreset.members, chairman: chosenPreset.chairman };
    } else {
      const inCouncil = [...council.members, council.chairman];
      const problem = councilProblem(council, retired) ?? reasoningProblem(reasoning, inCouncil);
      if (problem) return setError(problem);
      const chosen = toSaved(reasoning, inCouncil);
      choice = {
        preset: null,
        members: council.members,
        chairman: council.chairman,
        reasoning: Object.keys(chosen).length ? chosen : null,
      };
    }
    try {
      await onSave(choice);
      setOpen(false);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const savePreset = async () => {
    setNotice(null);
    const inCouncil = [...council.members, council.chairman];
    const problem =
      councilProblem(council, retired) ??
      reasoningProblem(reasoning, inCouncil) ??
      (saveName.trim() ? null : 'Name the preset to save it.');
    if (problem) return setError(problem);
    try {
      const kept = await api.savePreset({
        name: saveName.trim(),
        description: '',
        members: council.members,
        chairman: council.chairman,
        mode,
        shared,
        reasoning: toSaved(reasoning, inCouncil),
      });
      const list = (await api.savedPresets()).presets;
      setSaved(list);
      setPreset(SAVED + kept.id);
      setError(null);
      setNotice(`Saved “${kept.name}”${kept.shared ? ' for everyone' : ''}.`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const removeSaved = async (target: SavedPreset) => {
    try {
      await api.deletePreset(target.id);
      setSaved((list) => list.filter((p) => p.id !== target.id));
      setPreset(CUSTOM);
      setNotice(`Deleted “${target.name}”.`);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <div className="picker">
      <button
        type="button"
        className="btn btn--ghost picker__toggle"
        aria-expanded={open}
        aria-controls={`${base}-panel`}
        onClick={() => setOpen((o) => !o)}
        disabled={disabled}
        title="Choose the council"
      >
        <span className="picker__label">Council:</span> <span className="picker__value">{describeCouncil(value)}</span>
      </button>
      {open && (
        <form
          id={`${base}-panel`}
          className={composing && catalogue.length ? 'picker__panel picker__panel--wide' : 'picker__panel'}
          onSubmit={submit}
          aria-label="Choose the council"
        >
          <label htmlFor={`${base}-preset`}>Preset</label>
          <select id={`${base}-preset`} value={preset} onChange={(e) => pick(e.target.value)}>
            {presets.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
                {p.description ? ` — ${p.description}` : ''}
              </option>
            ))}
            {saved.length > 0 && (
              <optgroup label="Saved">
                {saved.map((p) => (
                  <option key={p.id} value={SAVED + p.id}>
                    {p.name}
                    {p.shared ? ' (shared)' : ''}
                  </option>
                ))}
              </optgroup>
            )}
            <option value={CUSTOM}>Custom…</option>
          </select>
          {!composing && chosenPreset && (
            <p className="muted picker__summary">
              Members: {chosenPreset.members.map(shortModelName).join(', ')}. Chairman: {shortModelName(chosenPreset.chairman)}.
            </p>
          )}
          {composing &&
            (catalogue.length ? (
              <ModelTable catalogue={catalogue} value={council} onChange={setCouncil} />
            ) : (
              <>
                <fieldset className="picker__members">
                  <legend>Members</legend>
                  {all.map((m) => (
                    <label key={m} className="picker__check">
                      <input
                        type="checkbox"
                        checked={council.members.includes(m)}
                        onChange={(e) =>
                          setCouncil((c) => ({
                            ...c,
                            members: e.target.checked ? [...c.members, m] : c.members.filter((x) => x !== m),
                          }))
                        }
                      />{' '}
                      {m}
                    </label>
                  ))}
                </fieldset>
                <label htmlFor={`${base}-chairman`}>Chairman</label>
                <select
                  id={`${base}-chairman`}
                  value={council.chairman}
                  onChange={(e) => setCouncil((c) => ({ ...c, chairman: e.target.value }))}
                >
                  <option value="">Choose…</option>
                  {all.map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                </select>
              </>
            ))}
          {composing && (
            <p className="muted picker__summary" data-testid="picker-council">
              {council.members.length
                ? `Members: ${council.members.map(shortModelName).join(', ')}.`
                : 'No members yet.'}{' '}
              {council.chairman ? `Chairman: ${shortModelName(council.chairman)}.` : 'No chairman yet.'}
            </p>
          )}
          <div className="picker__row">
            <label htmlFor={`${base}-mode`}>Mode</label>
            <select id={`${base}-mode`} value={mode} onChange={(e) => setMode(e.target.value as Mode)}>
              {MODE_OPTIONS.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          </div>
          {estimate && (
            <p className="picker__estimate" title={ESTIMATE_METHOD} data-testid="picker-estimate">
              Estimated cost per question: <strong>{formatDollars(estimate.low)} – {formatDollars(estimate.high)}</strong>
              <span className="muted picker__method">
                {' '}
                {ESTIMATE_METHOD}
                {estimate.unpriced.length ? ` No prices for ${estimate.unpriced.join(', ')}: not counted.` : ''}
              </span>
            </p>
          )}
          {composing && (
            <ReasoningControls
              form={reasoning}
              council={[...council.members, ...(council.chairman ? [council.chairman] : [])]}
              onChange={setReasoning}
            />
          )}
          {composing && (
            <div className="picker__save">
              <label htmlFor={`${base}-name`}>Save as preset</label>
              <div className="picker__row">
                <input
                  id={`${base}-name`}
                  value={saveName}
                  maxLength={100}
                  placeholder="Name"
                  onChange={(e) => setSaveName(e.target.value)}
                />
                {canShare && (
                  <label className="picker__check picker__inline">
                    <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> Shared with everyone
                  </label>
                )}
                <button type="button" className="btn" onClick={() => void savePreset()}>
                  Save
                </button>
                {chosenSaved && (chosenSaved.shared ? canShare : true) && (
                  <button type="button" className="btn btn--ghost" onClick={() => void removeSaved(chosenSaved)}>
                    Delete
                  </button>
                )}
              </div>
            </div>
          )}
          {notice && (
            <p className="notice" role="status">
              {notice}
            </p>
          )}
          {error && (
            <p className="notice notice--error" role="alert">
              {error}
            </p>
          )}
          <div className="picker__actions">
            <button type="submit" className="btn btn--primary">
              Use this council
            </button>
            <button type="button" className="btn btn--ghost" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
