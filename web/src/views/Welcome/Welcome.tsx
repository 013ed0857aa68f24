const EXAMPLES = [
  'What are the trade-offs between SQLite and PostgreSQL for a small web service?',
  'Explain the CAP theorem with a concrete example.',
  'Write a Python function that merges overlapping intervals.',
];

/** The empty state: what the council does, and a few questions to start with. */
export function Welcome({ demo, onPick }: { demo: boolean; onPick: (q: string) => void }) {
  return (
    <div className="chat">
      <div className="chat__inner welcome">
        <h2 className="welcome__title">Ask the council</h2>
        <p className="welcome__lead">
          Several models answer your question <strong>(1)</strong>, review each other’s anonymised answers{' '}
          <strong>(2)</strong>, and a Chairman writes the final answer <strong>(3)</strong>.
        </p>
        {demo && <p className="badge badge--sim">Demo mode: answers are simulated.</p>}
        <ul className="welcome__examples" aria-label="Example questions">
          {EXAMPLES.map((q) => (
            <li key={q}>
              <button type="button" className="btn btn--ghost welcome__example" onClick={() => onPick(q)}>
                {q}
              </button>
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
