import { describe, expect, it } from 'vitest';
import { formatBytes, percentSent, uploadErrorText, uploadsReducer, type UploadItem } from './uploads';

const start = (key = 'a', size = 1000) => uploadsReducer([], { type: 'start', key, name: 'book.epub', size });

describe('upload progress', () => {
  it('goes from 0 % to processing once every byte is sent, then leaves the list when stored', () => {
    let items: UploadItem[] = start();
    expect(items[0]).toMatchObject({ status: 'uploading', loaded: 0 });
    expect(percentSent(items[0]!)).toBe(0);
    items = uploadsReducer(items, { type: 'progress', key: 'a', loaded: 250, total: 1000 });
    expect(percentSent(items[0]!)).toBe(25);
    expect(items[0]!.status).toBe('uploading');
    items = uploadsReducer(items, { type: 'progress', key: 'a', loaded: 1000, total: 1000 });
    expect(items[0]!.status).toBe('processing');
    expect(percentSent(items[0]!)).toBe(100);
    expect(uploadsReducer(items, { type: 'stored', key: 'a' })).toEqual([]);
  });

  it('never goes backwards and takes the multipart total (larger than the file) as the size', () => {
    let items = start('a', 1000);
    items = uploadsReducer(items, { type: 'progress', key: 'a', loaded: 600, total: 1200 });
    items = uploadsReducer(items, { type: 'progress', key: 'a', loaded: 300, total: 1200 });
    expect(items[0]).toMatchObject({ loaded: 600, size: 1200 });
    expect(percentSent(items[0]!)).toBe(50);
  });

  it('keeps a refused file with its reason until dismissed, and other files move on', () => {
    let items = [...start('a'), ...uploadsReducer([], { type: 'start', key: 'b', name: 'notes.md', size: 10 })];
    items = uploadsReducer(items, { type: 'failed', key: 'a', error: 'too large' });
    items = uploadsReducer(items, { type: 'progress', key: 'a', loaded: 1000, total: 1000 });
    expect(items[0]).toMatchObject({ status: 'failed', error: 'too large', loaded: 0 });
    items = uploadsReducer(items, { type: 'progress', key: 'b', loaded: 5, total: 10 });
    expect(items[1]!.loaded).toBe(5);
    expect(uploadsReducer(items, { type: 'dismiss', key: 'a' }).map((i) => i.key)).toEqual(['b']);
  });

  it('says what the server refused, naming the file', () => {
    expect(uploadErrorText('big.pdf', { status: 413, message: 'the file is 30000000 bytes; the limit is 26214400 bytes' })).toBe(
      '“big.pdf” is too large: the file is 30000000 bytes; the limit is 26214400 bytes.',
    );
    expect(uploadErrorText('a.exe', { status: 415, message: 'not a supported type' })).toMatch(/^“a\.exe” is not a file the council reads \(PDF, EPUB.*\): not a supported type\.$/);
    expect(uploadErrorText('scan.pdf', { status: 422, message: 'no text layer; OCR is not supported.' })).toBe('“scan.pdf” cannot be read: no text layer; OCR is not supported.');
  });

  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatBytes(81 * 1024)).toBe('81 KB');
    expect(formatBytes(3.4 * 1024 * 1024)).toBe('3.4 MB');
  });
});
