import { describe, expect, it } from 'vitest';
import { charCount, DEFAULT_LIMITS, describeSendSize, limitsFrom, sendSize } from './sendSize';

const book = { kind: 'epub', chars: 81_000 };
const image = { kind: 'image', chars: 0 };

describe('what the composer will send', () => {
  it('counts characters as the server does: code points of the trimmed text', () => {
    expect(charCount('  héllo 👋  ')).toBe(7);
    expect('👋'.length).toBe(2); // what a naive count would say
  });

  it('adds the documents (not images) to the message and compares with both limits', () => {
    const s = sendSize('What does chapter 3 argue?', [book, image, { kind: 'markdown', chars: 1_000 }]);
    expect(s).toMatchObject({ messageChars: 26, documentChars: 82_000, documents: 2, images: 1, total: 82_026, tooLong: false, documentsChosen: false });
    expect(describeSendSize(s)).toBe('Message 26 / 100,000 characters + 2 documents 82,000 / 120,000 + 1 image · 82,026 in all');
  });

  it('says when the message is past the limit and when documents will be chosen by relevance', () => {
    const limits = { messageChars: 10, documentChars: 50_000 };
    const s = sendSize('x'.repeat(11), [book], limits);
    expect(s.tooLong).toBe(true);
    expect(s.documentsChosen).toBe(true);
    expect(describeSendSize(s)).toContain('81,000 (over the 50,000 window: the most relevant sections go)');
    expect(sendSize('x'.repeat(10), [], limits).tooLong).toBe(false);
  });

  it('takes the limits the server states, else its defaults', () => {
    expect(limitsFrom(null)).toEqual(DEFAULT_LIMITS);
    expect(limitsFrom({ limits: { max_content_chars: 5000 } })).toEqual({ messageChars: 5000, documentChars: DEFAULT_LIMITS.documentChars });
    expect(limitsFrom({ limits: { max_content_chars: -1, document_context_chars: 'x' } })).toEqual(DEFAULT_LIMITS);
  });

  it('shows the message alone when nothing is attached', () => {
    expect(describeSendSize(sendSize('hi', []))).toBe('Message 2 / 100,000 characters');
  });
});
