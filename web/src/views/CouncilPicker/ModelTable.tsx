import { useId, useState } from 'react';
import type { CatalogueModel } from '../../api/types';
import { orderModels, toggleMember, type Composition } from './catalogue';
import { formatContext, perMillion } from './estimate';

/** The catalogue as a searchable table: a member box and a chairman button per model. */
export function ModelTable({
  catalogue,
  value,
  onChange,
}: {
  catalogue: CatalogueModel[];
  value: Composition;
  onChange: (next: Composition) => void;
}) {
  const [query, setQuery] = useState('');
  const base = useId();
  const rows = orderModels(catalogue, [...value.members, ...(value.chairman ? [value.chairman] : [])], query);
  return (
    <div className="models">
      <label htmlFor={`${base}-q`}>Models</label>
      <input
        id={`${base}-q`}
        type="search"
        className="models__search"
        placeholder="Search by name or id (e.g. claude, gemini pro)"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="models__scroll">
        <table className="models__table">
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Chair</th>
              <th scope="col">Model</th>
              <th scope="col" className="models__num" title="Context window in tokens">
                Context
              </th>
              <th scope="col" className="models__num" title="US dollars per million input tokens">
                In
              </th>
              <th scope="col" className="models__num" title="US dollars per million output tokens">
                Out
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => {
              const member = value.members.includes(m.id);
              return (
                <tr key={m.id} className={m.expired ? 'models__row models__row--retired' : 'models__row'}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${m.name} as a member`}
                      checked={member}
                      disabled={m.expired && !member}
                      onChange={() => onChange(toggleMember(value, m.id))}
                    />
                  </td>
                  <td>
                    <input
                      type="radio"
                      name={`${base}-chair`}
                      aria-label={`${m.name} as chairman`}
                      checked={value.chairman === m.id}
                      disabled={m.expired && value.chairman !== m.id}
                      onChange={() => onChange({ ...value, chairman: m.id })}
                    />
                  </td>
                  <td>
                    <span className="models__name">{m.name}</span>
                    <span className="models__id">{m.id}</span>
                    {m.input_modalities.includes('image') && <span className="badge badge--info">images</span>}
                    {m.expired ? (
                      <span className="badge badge--danger" title={`Expired on ${m.expiration_date ?? '?'}`}>
                        retired
                      </span>
                    ) : (
                      m.deprecated && (
                        <span className="badge badge--warn" title={`Retires on ${m.expiration_date ?? '?'}`}>
                          deprecated
                        </span>
                      )
                    )}
                  </td>
                  <td className="models__num">{formatContext(m.context_length)}</td>
                  <td className="models__num">{perMillion(m.prompt_price)}</td>
                  <td className="models__num">{perMillion(m.completion_price)}</td>
                </tr>
              );
            })}
            {rows.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No model matches “{query}”.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
