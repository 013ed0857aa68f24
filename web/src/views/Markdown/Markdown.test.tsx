import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { hasMath, Markdown } from './Markdown';

describe('Markdown', () => {
  it('highlights fenced code and gives it a copy button', () => {
    const html = renderToStaticMarkup(<Markdown text={'```python\ndef f(x):\n    return x  # id\n```'} />);
    expect(html).toContain('class="code-block"');
    expect(html).toContain('aria-label="Copy code"');
    expect(html).toContain('hljs-keyword');
    expect(html).toContain('hljs-comment');
    expect(html).toContain('>python<');
  });

  it('renders GitHub tables and opens links in a new tab', () => {
    const html = renderToStaticMarkup(<Markdown text={'| a | b |\n|---|---|\n| 1 | 2 |\n\n[x](https://example.org)'} />);
    expect(html).toContain('<table>');
    expect(html).toContain('target="_blank"');
    expect(html).toContain('rel="noopener noreferrer"');
  });

  it('does not render raw HTML from a model', () => {
    const html = renderToStaticMarkup(<Markdown text={'<img src=x onerror="alert(1)"> <script>alert(1)</script>'} />);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
  });

  it('loads math only for $$…$$, so dollar amounts stay text', () => {
    expect(hasMath('costs $5 to $10')).toBe(false);
    expect(hasMath('$$E = mc^2$$')).toBe(true);
  });
});
