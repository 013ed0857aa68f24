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

  it('marks a reviewer whose ranking could not be parsed', () => {
    const failed = runFromMessage({ ...STORED, stage2: [STORED.stage2[1]!] });
    const out = renderToStaticMarkup(<Stage2 rows={failed.stage2} metadata={failed.metadata} live={false} />);
    expect(out).toContain('could not be parsed');
    expect(out).toContain('no FINAL RANKING section');
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
