import { memo, useContext, useEffect, useRef, useState, type ComponentPropsWithoutRef } from 'react';
import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import remarkGfm from 'remark-gfm';
import { citeTarget, linkCitations } from '../../lib/citations';
import { modelRefTarget } from '../../lib/deanonymise';
import { CitationContext } from '../Documents/context';
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

/** A citation `[§3.2, p. 41]` linked to its section: opens the reader there. */
function CitationLink({ href, children }: ComponentPropsWithoutRef<'a'>) {
  const links = useContext(CitationContext);
  const target = citeTarget(href);
  if (!links || !target) return <span className="citation">{children}</span>;
  return (
    <a
      href={href}
      className="citation"
      title="Open the cited section"
      onClick={(e) => {
        e.preventDefault();
        links.open(target);
      }}
    >
      {children}
    </a>
  );
}

function Link(props: ComponentPropsWithoutRef<'a'>) {
  if (citeTarget(props.href)) return <CitationLink {...props} />;
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

/**
 * Markdown with GitHub extensions, highlighted code with copy buttons, and $$math$$; inside an
 * answer whose run cited documents, citations link to the cited section.
 */
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const m = useMath(hasMath(text));
  const citations = useContext(CitationContext);
  const shown = citations ? linkCitations(text, citations.resolve) : text;
  const remarkPlugins = m ? [remarkGfm, m.remarkMathPlugin] : [remarkGfm];
  const rehypePlugins = m ? [highlight, m.rehypeKatexPlugin] : [highlight];
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={remarkPlugins as never} rehypePlugins={rehypePlugins as never} components={components}>
        {shown}
      </ReactMarkdown>
    </div>
  );
});
