import { useState } from 'react';
import { api } from '../../api/client';
import { useReader } from '../Documents/context';

/**
 * Marks an answer the output limit cut (finish_reason "length") and offers to have the same
 * model finish it; `onContinued` gets the whole answer as it now reads.
 */
export function ContinueButton({
  runId,
  stage,
  model,
  onContinued,
}: {
  runId: string | null;
  stage: 1 | 3;
  model: string;
  onContinued: (text: string, finishReason: string | null) => void;
}) {
  const conversationId = useReader()?.conversationId ?? null;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    if (!conversationId || !runId) return;
    setBusy(true);
    setError(null);
    try {
      const done = await api.continueAnswer(conversationId, runId, { stage, model });
      onContinued(done.response, done.finish_reason ?? null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="cut-notice notice notice--warn" role="note">
      <span>Cut off by the output limit.</span>{' '}
      {conversationId && runId && (
        <button type="button" className="btn btn--small" onClick={() => void go()} disabled={busy}>
          {busy ? 'Continuing…' : 'Continue'}
        </button>
      )}
      {error && <span className="notice--error"> {error}</span>}
    </div>
  );
}
