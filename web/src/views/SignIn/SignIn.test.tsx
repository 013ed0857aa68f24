import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { SignIn } from './SignIn';

const noop = async () => undefined;

describe('the sign-in page', () => {
  it('has a username and password form, and no single sign-on unless configured', () => {
    const html = renderToStaticMarkup(<SignIn config={{ mode: 'users', setup_required: false, oidc: null }} notice={null} onSignIn={noop} />);
    expect(html).toContain('aria-label="Sign in"');
    expect(html).toContain('type="password"');
    expect(html).not.toContain('/api/auth/oidc/login');
    expect(html).not.toContain('No administrator exists yet');
  });

  it('offers single sign-on with the configured label', () => {
    const html = renderToStaticMarkup(
      <SignIn config={{ mode: 'users', setup_required: false, oidc: { enabled: true, label: 'Sign in with Keycloak' } }} notice={null} onSignIn={noop} />,
    );
    expect(html).toContain('href="/api/auth/oidc/login?next=%2F"');
    expect(html).toContain('Sign in with Keycloak');
  });

  it('points to the first-run setup while no administrator exists, and shows a notice', () => {
    const html = renderToStaticMarkup(
      <SignIn config={{ mode: 'users', setup_required: true, oidc: null }} notice="Your session has ended. Sign in again to continue." onSignIn={noop} />,
    );
    expect(html).toContain('No administrator exists yet');
    expect(html).toContain('href="#/setup"');
    expect(html).toContain('Your session has ended.');
  });
});
