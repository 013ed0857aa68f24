import type { ReactNode } from 'react';

/** The frame of the pages shown before anyone is signed in: the brand and one card. */
export function AuthScreen({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main className="auth-screen">
      <div className="auth-card">
        <p className="brand auth-card__brand">
          <span className="brand__mark" aria-hidden="true">
            ◆
          </span>{' '}
          LLM Council
        </p>
        <h1 className="auth-card__title">{title}</h1>
        {children}
      </div>
    </main>
  );
}
