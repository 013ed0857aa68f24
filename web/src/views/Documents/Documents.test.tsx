import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { DocumentInfo, RunDocuments } from '../../api/types';
import { resolverFor } from '../../lib/citations';
import { Markdown } from '../Markdown/Markdown';
import { CitationContext } from './context';
import { chapterLevel, DocumentCard, documentFacts } from './DocumentCard';
import { discussQuestion } from './DocumentShelf';
import { RunContextNote } from './RunContextNote';

const record: RunDocuments = {
  run_id: 'r1',
  complete: false,
  models: ['openai/alpha', 'anthropic/beta'],
  documents: [{ document_id: 'd1', title: 'The Book', description: 'chapters 3–4 of 12', sections: [{ id: 1, position: 3, number: '3', title: 'Three' }], of: 12 }],
  images_left_out: ['img1'],
  dropped_turns: 2,
  focus: null,
  citations: [{ stage: 3, model: 'sim:alpha', citations: [{ text: '[§3, p. 5]', start: 0, end: 10, number: '3', page: 5, document_id: 'd1', section_id: 1, position: 3, link: null }] }],
};

const photo = { id: 'img1', kind: 'image', filename: 'photo.png' } as DocumentInfo;

describe('a document read in the background', () => {
  const base = { id: 'd1', kind: 'pdf', filename: 'book.pdf', title: 'book.pdf', section_count: 0, chapters: 0, size_bytes: 10, chars: 0, metadata: {} } as unknown as DocumentInfo;
  const card = (d: DocumentInfo) =>
    renderToStaticMarkup(
      <DocumentCard document={d} detail={undefined} imageUrl={null} onExpand={() => undefined} onOpen={() => undefined} onDiscuss={() => undefined} onRemove={async () => undefined} canDiscuss />,
    );

  it('says it is being read, then why it could not be', () => {
    expect(card({ ...base, status: 'processing' })).toContain('Reading…');
    const failed = card({ ...base, status: 'failed', error: { code: 'document_encrypted', message: 'book.pdf is encrypted' } });
    expect(failed).toContain('Could not be read: book.pdf is encrypted');
    expect(card({ ...base, status: 'ready', section_count: 3, chapters: 3, chars: 900 })).toContain('3 chapters');
  });
});

describe('documents in the chat', () => {
  it('renders a known citation in an answer as a link to its section, an unknown one as text', () => {
    const links = { resolve: resolverFor(record.citations.flatMap((c) => c.citations)), open: () => undefined };
    const html = renderToStaticMarkup(
      <CitationContext.Provider value={links}>
        <Markdown text="The argument [§3, p. 5] rests on [§7]." />
      </CitationContext.Provider>,
    );
    expect(html).toContain('<a href="#cite:d1:3" class="citation" title="Open the cited section">[§3, p. 5]</a>');
    expect(html).toContain('[§7]');
    expect(html).not.toContain('#cite:d1:7');
  });

  it('leaves citations as text outside an answer with a run record', () => {
    const html = renderToStaticMarkup(<Markdown text="See [§3, p. 5]." />);
    expect(html).not.toContain('<a');
    expect(html).toContain('[§3, p. 5]');
  });

  it('says what a model with a larger window saw instead', () => {
    const whole = { ...record.documents[0]!, description: 'all 12 chapters', of: 12 };
    const wider: RunDocuments = { ...record, by_model: { 'openai/alpha': { complete: true, documents: [whole] } } };
    const html = renderToStaticMarkup(<RunContextNote record={wider} documents={[photo]} />);
    expect(html).toContain('Saw chapters 3–4 of 12 of <cite>The Book</cite>');
    expect(html).toContain('alpha, with a larger window, saw all 12 chapters of <cite>The Book</cite>');
  });

  it('says under an answer what it saw, the turns dropped and the images left out, and for whom', () => {
    const html = renderToStaticMarkup(<RunContextNote record={record} documents={[photo]} />);
    expect(html).toContain('Saw chapters 3–4 of 12 of <cite>The Book</cite>');
    expect(html).toContain('the rest was left out for length');
    expect(html).toContain('Dropped 2 older turns to fit the history limit');
    expect(html).toContain('photo.png left out for alpha, beta: they do not read images.');
  });

  it('says which models saw each image and which were told it was left out, and why', () => {
    const seen = {
      ...record,
      models: ['x-ai/grok-4', 'meta-llama/llama-3', 'openai/gpt-4o-mini'],
      images: [{ document_id: 'img1', filename: 'photo.png', seen_by: ['x-ai/grok-4', 'openai/gpt-4o-mini'], left_out_for: ['meta-llama/llama-3'], reason: 'does not read images' }],
    };
    const html = renderToStaticMarkup(<RunContextNote record={seen} documents={[photo]} />);
    expect(html).toContain('<cite>photo.png</cite>: seen by grok-4, gpt-4o-mini');
    expect(html).toContain('left out for llama-3 (does not read images)');
    expect(html).not.toContain('they do not read images'); // the older, all-or-nothing line
    const nobody = { ...seen, images: [{ ...seen.images[0]!, seen_by: [], left_out_for: ['x-ai/grok-4'], reason: 'policy' }] };
    expect(renderToStaticMarkup(<RunContextNote record={nobody} documents={[photo]} />)).toContain('photo.png</cite>: seen by no model');
  });

  it('names the chapter a reading-mode run discussed, and reads "all of it" as "all of <title>"', () => {
    const reading = { ...record, focus: { document_id: 'd1', section: '3' }, documents: [{ ...record.documents[0]!, description: 'all of it' }] };
    const html = renderToStaticMarkup(<RunContextNote record={reading} documents={[]} />);
    expect(html).toContain('Discussing §3 Three (reading mode)');
    expect(html).toContain('Saw all of <cite>The Book</cite>');
  });

  it('says nothing when the run saw everything and dropped nothing', () => {
    const html = renderToStaticMarkup(<RunContextNote record={{ ...record, documents: [], images_left_out: [], dropped_turns: 0 }} documents={[]} />);
    expect(html).toBe('');
  });

  it('finds the chapters one level down when the one top heading is the title', () => {
    expect(chapterLevel([{ level: 1 }, { level: 2 }, { level: 2 }, { level: 3 }])).toBe(2);
    expect(chapterLevel([{ level: 0 }, { level: 1 }, { level: 2 }, { level: 1 }])).toBe(1);
    expect(chapterLevel([{ level: 1 }])).toBe(1);
    expect(chapterLevel([])).toBe(1);
  });

  it('sums a document up in one line and words the default question for a chapter', () => {
    const book = { kind: 'epub', chapters: 12, section_count: 30, pages: null, size_bytes: 2048, chars: 81000, metadata: {} };
    expect(documentFacts(book)).toBe('12 chapters · 2.0 KB · 81,000 characters');
    expect(documentFacts({ ...book, kind: 'pdf', chapters: 1, section_count: 1, pages: 240 })).toBe('240 pages · 2.0 KB · 81,000 characters');
    expect(documentFacts({ ...book, kind: 'image', metadata: { width: 640, height: 480 } })).toBe('640×480 · 2.0 KB');
    expect(discussQuestion({ number: '3', title: 'The Storm', level: 1 })).toMatch(/^Let us discuss chapter 3, “The Storm”: /);
  });
});
