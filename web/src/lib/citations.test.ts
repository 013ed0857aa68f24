import { describe, expect, it } from 'vitest';
import { citeHref, citeTarget, findCitations, linkCitations, resolverFor } from './citations';

const resolve = resolverFor([
  { text: '[§3.2, p. 41]', document_id: 'doc-1', position: 7 },
  { text: '[§2]', document_id: 'doc-1', position: 2 },
  { text: '[§9]', document_id: null, position: null }, // names no known section
]);

describe('citations', () => {
  it('reads the forms the server asks for', () => {
    expect(findCitations('See [§3.2, p. 41] and [D2 §1.4] and [§ 5, pp. 10–12].')).toEqual([
      { text: '[§3.2, p. 41]', number: '3.2', page: 41, tag: null },
      { text: '[D2 §1.4]', number: '1.4', page: null, tag: 2 },
      { text: '[§ 5, pp. 10–12]', number: '5', page: 10, tag: null },
    ]);
  });

  it('links the citations the run record knows and leaves the rest as written', () => {
    const out = linkCitations('As argued [§3.2, p. 41], and later [§2]; but [§9] and [§4] are unknown.', resolve);
    expect(out).toBe(
      `As argued [\\[§3.2, p. 41\\]](${citeHref({ documentId: 'doc-1', position: 7 })}), and later [\\[§2\\]](#cite:doc-1:2); but [§9] and [§4] are unknown.`,
    );
  });

  it('leaves code alone and does not link a citation that is already a link', () => {
    const text = 'Code: `x = "[§2]"`\n\n```\n[§2]\n```\n\n[§2](https://example.org) and [§2]';
    const out = linkCitations(text, resolve);
    expect(out).toContain('`x = "[§2]"`');
    expect(out).toContain('```\n[§2]\n```');
    expect(out).toContain('[§2](https://example.org)');
    expect(out.endsWith('and [\\[§2\\]](#cite:doc-1:2)')).toBe(true);
  });

  it('round-trips a link target, ids with colons included, and refuses other links', () => {
    const target = { documentId: 'a:b/c', position: 12 };
    expect(citeTarget(citeHref(target))).toEqual(target);
    expect(citeTarget('https://example.org')).toBeNull();
    expect(citeTarget('#cite:doc')).toBeNull();
    expect(citeTarget('#cite:doc:-1')).toBeNull();
    expect(citeTarget(undefined)).toBeNull();
  });

  it('returns text without § unchanged', () => {
    const text = 'No citations [1] here.';
    expect(linkCitations(text, resolve)).toBe(text);
  });
});
