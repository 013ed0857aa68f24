import { useEffect, useId, useState, type FormEvent } from 'react';
import type { ModelsInfo } from '../../api/types';
import { shortModelName } from '../../lib/deanonymise';

export interface CouncilChoice {
  preset: string | null;
  members: string[];
  chairman: string | null;
}

const CUSTOM = '__custom__';

export function describeCouncil(choice: CouncilChoice): string {
  const who = choice.members.length ? `${choice.members.length} members` : 'default members';
  const chair = choice.chairman ? `, Chairman ${shortModelName(choice.chairman)}` : '';
  return `${choice.preset ?? 'custom'} · ${who}${chair}`;
}

/** Chooses the council of a conversation: a configured preset, or members and a chairman. */
export function CouncilPicker({
  models,
  value,
  onSave,
  disabled,
}: {
  models: ModelsInfo | null;
  value: CouncilChoice;
  onSave: (choice: CouncilChoice) => Promise<void> | void;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [preset, setPreset] = useState<string>(value.preset ?? CUSTOM);
  const [members, setMembers] = useState<string[]>(value.members);
  const [chairman, setChairman] = useState<string>(value.chairman ?? '');
  const [error, setError] = useState<string | null>(null);
  const base = useId();
  useEffect(() => {
    if (!open) {
      setPreset(value.preset ?? CUSTOM);
      setMembers(value.members);
      setChairman(value.chairman ?? '');
      setError(null);
    }
  }, [open, value.preset, value.members, value.chairman]);

  const presets = models?.presets ?? [];
  const all = Array.from(new Set([...(models?.models ?? []), ...value.members, ...(value.chairman ? [value.chairman] : [])]));
  const chosenPreset = presets.find((p) => p.name === preset);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    let choice: CouncilChoice;
    if (preset !== CUSTOM && chosenPreset) {
      choice = { preset, members: chosenPreset.members, chairman: chosenPreset.chairman };
    } else {
      if (members.length === 0) return setError('Choose at least one member.');
      if (!chairman) return setError('Choose a chairman.');
      choice = { preset: null, members, chairman };
    }
    try {
      await onSave(choice);
      setOpen(false);
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
        <form id={`${base}-panel`} className="picker__panel" onSubmit={submit} aria-label="Choose the council">
          <label htmlFor={`${base}-preset`}>Preset</label>
          <select id={`${base}-preset`} value={preset} onChange={(e) => setPreset(e.target.value)}>
            {presets.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
                {p.description ? ` — ${p.description}` : ''}
              </option>
            ))}
            <option value={CUSTOM}>Custom…</option>
          </select>
          {preset !== CUSTOM && chosenPreset && (
            <p className="muted picker__summary">
              Members: {chosenPreset.members.map(shortModelName).join(', ')}. Chairman: {shortModelName(chosenPreset.chairman)}.
            </p>
          )}
          {preset === CUSTOM && (
            <>
              <fieldset className="picker__members">
                <legend>Members</legend>
                {all.map((m) => (
                  <label key={m} className="picker__check">
                    <input
                      type="checkbox"
                      checked={members.includes(m)}
                      onChange={(e) => setMembers((ms) => (e.target.checked ? [...ms, m] : ms.filter((x) => x !== m)))}
                    />{' '}
                    {m}
                  </label>
                ))}
              </fieldset>
              <label htmlFor={`${base}-chairman`}>Chairman</label>
              <select id={`${base}-chairman`} value={chairman} onChange={(e) => setChairman(e.target.value)}>
                <option value="">Choose…</option>
                {all.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
            </>
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
