import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { runFromMessage } from '../../state/run';
import { STORED } from '../../test/fixtures';
import { Stage1 } from '../Stage1/Stage1';
import { Stage3 } from '../Stage3/Stage3';
import { Stage2 } from './Stage2';

const run = runFromMessage(STORED);

describe('Stage 2 display', () => {
  const html = renderToStaticMarkup(<Stage2 rows={run.stage2} metadata={run.metadata} live={false} />);

  it("shows the reviewer's labels as bold model names", () => {
    expect(html).toContain('<strong class="model-ref" title="google/gemini-3-pro-preview">gemini-3-pro-preview</strong> is clearer than');
    expect(html).not.toContain('Response B is clearer');
  });

  it('shows the parsed ranking with model names, marking the own answer', () => {
    const list = html.slice(html.indexOf('parsed-ranking__list'));
    expect(list.indexOf('gemini-3-pro-preview')).toBeLessThan(list.indexOf('gpt-5.1'));
    expect(html).toContain('own answer');
  });

  it('shows the leaderboard with average rank, votes and agreement, and self-vote exclusion', () => {
    expect(html).toContain('Aggregate leaderboard');
    expect(html).toContain('1.50');
    expect(html).toContain('strong agreement');
    expect(html).toContain('Kendall’s W 0.75');
    expect(html).toMatch(/Self-votes<\/dt><dd>excluded/);
  });

  it('says calmly, with the reason, that a review whose ranking could not be read does not count', () => {
    const failed = runFromMessage({ ...STORED, stage2: [STORED.stage2[1]!] });
    const out = renderToStaticMarkup(<Stage2 rows={failed.stage2} metadata={failed.metadata} live={false} />);
    expect(out).toContain('Not counted — no FINAL RANKING section');
    expect(out).not.toContain('could not be parsed');
  });

  it('raises no alarm for a review that finished streaming but is not read yet', () => {
    const streamed = { ...run.stage2[1]!, settled: false, parsedRanking: [], parseStatus: null };
    const out = renderToStaticMarkup(<Stage2 rows={[streamed]} metadata={null} live={true} started />);
    expect(out).not.toContain('Not counted');
    expect(out).not.toContain('parsed-ranking');
    expect(out).not.toContain('tabs__note');
  });

  it('shows the reasoning behind a fold, and a repaired review as such', () => {
    const stage2 = [
      {
        ...STORED.stage2[0]!,
        reasoning: 'Comparing the two answers first.',
        repair: { asked: true, reply: 'FINAL RANKING:\n1. Response B\n2. Response A', status: 'ok' },
        vote: { counted: 'full' as const, note: '' },
      },
    ];
    const out = renderToStaticMarkup(<Stage2 rows={runFromMessage({ ...STORED, stage2 }).stage2} metadata={run.metadata} live={false} />);
    expect(out).toMatch(/<details[^>]*><summary>Show reasoning<\/summary>/);
    expect(out).toContain('Comparing the two answers first.');
    expect(out).toContain('Needed one reminder');
    expect(out).toContain('Counted in full');
  });

  it('says why ranking was skipped', () => {
    const out = renderToStaticMarkup(
      <Stage2 rows={[]} metadata={{ ...STORED.metadata!, ranking_skipped: true, ranking_skipped_reason: 'only one answer survived' }} live={false} />,
    );
    expect(out).toContain('Ranking skipped: only one answer survived');
  });
});

describe('Stage 1 and 3 display', () => {
  it('shows time, tokens and the fallback badge for the selected member', () => {
    const html = renderToStaticMarkup(<Stage1 rows={run.stage1} live={false} />);
    expect(html).toContain('900 ms');
    expect(html).toContain('15 tok');
    expect(html).toContain('Fallback: answered by <strong>gpt-4o-mini</strong>');
    expect(html).toContain('aria-label="failed"');
  });

  it('marks the final answer, and a degraded one as such', () => {
    expect(renderToStaticMarkup(<Stage3 view={run.stage3} live={false} />)).toContain('Final answer');
    const degraded = runFromMessage({ ...STORED, stage3: { ...STORED.stage3!, model: null, degraded: true, degraded_reason: 'all chairmen failed' } });
    const html = renderToStaticMarkup(<Stage3 view={degraded.stage3} live={false} />);
    expect(html).toContain('Degraded result');
    expect(html).toContain('Not a Chairman’s synthesis');
    expect(html).toContain('all chairmen failed');
  });
});
