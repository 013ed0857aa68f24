import { describe, expect, it } from 'vitest';
import { subsectionsOf } from './Reader';

const book = [
  { position: 0, level: 1, title: 'The Lighthouse Keeper' },
  { position: 1, level: 2, title: 'Arrival' },
  { position: 2, level: 3, title: 'The first night' },
  { position: 3, level: 2, title: 'The Storm' },
  { position: 4, level: 1, title: 'Afterword' },
];

describe('subsectionsOf', () => {
  it('lists the sections one level below, up to the next sibling', () => {
    expect(subsectionsOf(book, 0).map((s) => s.title)).toEqual(['Arrival', 'The Storm']);
  });
  it('finds the level of the nearest sections below, whatever it is', () => {
    expect(subsectionsOf(book, 1).map((s) => s.title)).toEqual(['The first night']);
  });
  it('is empty for a leaf, the last section, or a position out of range', () => {
    expect(subsectionsOf(book, 2)).toEqual([]);
    expect(subsectionsOf(book, 4)).toEqual([]);
    expect(subsectionsOf(book, 9)).toEqual([]);
  });
});
