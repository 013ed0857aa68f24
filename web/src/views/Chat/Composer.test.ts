import { describe, expect, it } from 'vitest';
import { pastedImages } from './Composer';

const files = (...list: File[]) => ({ files: list as unknown as FileList });

describe('pasting into the question box', () => {
  it('takes the PNG, JPEG and WebP images of a clipboard and names a screenshot', () => {
    const shot = new File([new Uint8Array([137, 80])], 'image.png', { type: 'image/png' });
    const photo = new File([new Uint8Array([255, 216])], 'holiday.jpg', { type: 'image/jpeg' });
    const gif = new File([new Uint8Array([71, 73])], 'anim.gif', { type: 'image/gif' });
    const text = new File(['hello'], 'notes.txt', { type: 'text/plain' });
    const taken = pastedImages(files(shot, photo, gif, text));
    expect(taken.map((f) => f.type)).toEqual(['image/png', 'image/jpeg']);
    expect(taken[0]!.name).toMatch(/^pasted-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-1\.png$/);
    expect(taken[1]!.name).toBe('holiday.jpg');
  });

  it('takes nothing from a clipboard of text', () => {
    expect(pastedImages(files())).toEqual([]);
  });
});
