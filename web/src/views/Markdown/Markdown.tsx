import { memo, useEffect, useRef, useState, type ComponentPropsWithoutRef } from 'react';
import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';
import { modelRefTarget } from '../../lib/deanonymise';
import { CopyButton } from '../Common/CopyButton';

type MathModule = typeof import('./math');
let math: MathModule | null = null;
let mathLoading: Promise<MathModule> | null = null;

/** True when the text may hold $$…$$ math (then KaTeX is loaded). */
export function hasMath(text: string): boolean {
  return text.includes('$$');
}

function useMath(wanted: boolean): MathModule | null {
  const [loaded, setLoaded] = useState<MathModule | null>(math);
  useEffect(() => {
    if (!wanted || loaded) return;
    let alive = true;
    mathLoading ??= import('./math').then((m) => (math = m));
    mathLoading.then((m) => alive && setLoaded(m), () => undefined);
    return () => {
      alive = false;
    };
  }, [wanted, loaded]);
  return wanted ? loaded : null;
}

function CodeBlock(props: ComponentPropsWithoutRef<'pre'>) {
  const ref = useRef<HTMLPreElement>(null);
  const { children, ...rest } = props;
  const language = /language-([\w+-]+)/.exec(
    (children as { props?: { className?: string } } | undefined)?.props?.className ?? '',
  )?.[1];
  return (
    <div className="code-block">
      <div className="code-block__bar">
        <span className="code-block__lang">{language ?? 'code'}</span>
        <CopyButton text={() => ref.current?.innerText ?? ''} label="Copy code" />
      </div>
      <pre ref={ref} {...rest}>
        {children}
      </pre>
    </div>
  );
}

function Link(props: ComponentPropsWithoutRef<'a'>) {
  const model = modelRefTarget(props.href);
  if (model !== null) {
    // A de-anonymised "Response X": the model's name in bold, its full id on hover.
    return (
      <strong className="model-ref" title={model}>
        {props.children}
      </strong>
    );
  }
  return <a {...props} target="_blank" rel="noopener noreferrer" />;
}

const components = { pre: CodeBlock, a: Link };
const highlight = [rehypeHighlight, { detect: false }] as const;

/** Markdown with GitHub extensions, highlighted code with copy buttons, and $$math$$. */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const m = useMath(hasMath(text));
  const remarkPlugins = m ? [remarkGfm, m.remarkMathPlugin] : [remarkGfm];
  const rehypePlugins = m ? [highlight, m.rehypeKatexPlugin] : [highlight];
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={remarkPlugins as never} rehypePlugins={rehypePlugins as never} components={components}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
