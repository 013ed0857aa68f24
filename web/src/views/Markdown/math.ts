// Loaded on demand: KaTeX is a third of the bundle and most answers have no math.
import rehypeKatex from 'rehype-katex';
import remarkMath from 'remark-math';
import 'katex/dist/katex.min.css';

// Single dollars stay text ("$5 to $10"); math is written $$…$$, inline or as a block.
export const remarkMathPlugin = [remarkMath, { singleDollarTextMath: false }] as const;
export const rehypeKatexPlugin = [rehypeKatex, { throwOnError: false, strict: false }] as const;
