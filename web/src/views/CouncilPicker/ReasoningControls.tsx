import { shortModelName } from '../../lib/deanonymise';
import { describeReasoning, EFFORTS, STAGES, type BudgetRow, type ReasoningForm } from './reasoning';

function BudgetCells({ label, row, onChange }: { label: string; row: BudgetRow; onChange: (row: BudgetRow) => void }) {
  return (
    <>
      <td>
        <select
          aria-label={`Effort for ${label}`}
          value={row.effort}
          onChange={(e) => onChange({ ...row, effort: e.target.value as BudgetRow['effort'] })}
        >
          <option value="">default</option>
          {EFFORTS.map((effort) => (
            <option key={effort} value={effort}>
              {effort}
            </option>
          ))}
        </select>
      </td>
      <td>
        <input
          type="number"
          min={1}
          step={1}
          inputMode="numeric"
          placeholder="default"
          aria-label={`Max output tokens for ${label}`}
          value={row.maxOutput}
          onChange={(e) => onChange({ ...row, maxOutput: e.target.value })}
        />
      </td>
    </>
  );
}

/**
 * Effort and max output tokens per stage, then per model of the council (a model's setting
 * goes over its stage's), folded under one summary line: reviewers rarely need high effort,
 * a chairman may.
 */
export function ReasoningControls({
  form,
  council,
  onChange,
}: {
  form: ReasoningForm;
  council: readonly string[];
  onChange: (form: ReasoningForm) => void;
}) {
  const models = [...new Set(council)];
  return (
    <details className="picker__reasoning">
      <summary>
        Reasoning and output budgets: <span className="muted">{describeReasoning(form, council)}</span>
      </summary>
      <table className="picker__budgets" aria-label="Reasoning effort and max output tokens">
        <thead>
          <tr>
            <th scope="col">stage or model</th>
            <th scope="col">effort</th>
            <th scope="col">max output tokens</th>
          </tr>
        </thead>
        <tbody>
          {STAGES.map((stage) => (
            <tr key={stage.key}>
              <th scope="row">{stage.label}</th>
              <BudgetCells
                label={stage.label.toLowerCase()}
                row={form.stages[stage.key]}
                onChange={(row) => onChange({ ...form, stages: { ...form.stages, [stage.key]: row } })}
              />
            </tr>
          ))}
          {models.map((model) => (
            <tr key={model} className="picker__budget-model">
              <th scope="row" title={model}>
                {shortModelName(model)}
              </th>
              <BudgetCells
                label={shortModelName(model)}
                row={form.models[model] ?? { effort: '', maxOutput: '' }}
                onChange={(row) => onChange({ ...form, models: { ...form.models, [model]: row } })}
              />
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted picker__method">
        Sent in each provider&apos;s format; a model&apos;s row goes over its stage&apos;s. Empty: the upstream&apos;s
        default.
      </p>
    </details>
  );
}
