import { memo, useRef, type ComponentPropsWithoutRef } from 'react';
import ReactMarkdown from 'react-markdown';
import rehypeHighlight from 'rehype-highlight';
import rehypeKatex from 'rehype-katex';
import remarkGfm from 'remark-gfm';
import remarkMath from 'remark-math';
import 'katex/dist/katex.min.css';
import { CopyButton } from '../Common/CopyButton';

// Single dollars stay text ("$5 to $10"); math is written $$…$$, inline or as a block.
const remarkPlugins = [remarkGfm, [remarkMath, { singleDollarTextMath: false }]] as const;
const rehypePlugins = [[rehypeHighlight, { detect: false, ignoreMissing: true }], [rehypeKatex, { throwOnError: false, strict: false }]] as const;

function CodeBlock(props: ComponentPropsWithoutRef<'pre'>) {
  const ref = useRef<HTMLPreElement>(null);
  const { children, ...rest } = props;
  const language = /language-([\w+-]+)/.exec(
    ((children as { props?: { className?: string } } | undefined)?.props?.className) ?? '',
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
  return <a {...props} target="_blank" rel="noopener noreferrer" />;
}

const components = { pre: CodeBlock, a: Link };

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown
        remarkPlugins={remarkPlugins as never}
        rehypePlugins={rehypePlugins as never}
        components={components}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
});
