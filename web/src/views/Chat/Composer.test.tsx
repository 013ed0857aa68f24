import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Composer } from './Composer';

const render = (waitingFor?: string[]) =>
  renderToStaticMarkup(
    <Composer
      value="Why did the lamp stay lit?"
      onChange={() => undefined}
      onSend={() => undefined}
      onStop={() => undefined}
      running={false}
      stopping={false}
      placeholder="Ask"
      waitingFor={waitingFor}
    />,
  );

describe('the question box while a document is read', () => {
  it('holds the question and names what it waits for', () => {
    const html = render(['lighthouse.md']);
    expect(html).toMatch(/<button type="submit"[^>]*disabled/);
    expect(html).toContain('Waiting for lighthouse.md to be read before sending');
  });

  it('sends once nothing is being read', () => {
    const html = render([]);
    expect(html).not.toMatch(/<button type="submit"[^>]*disabled/);
    expect(html).toContain('Enter to send');
  });
});
