import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";
import styles from "./markdown.module.css";

/**
 * Headings sit two levels down, so a description cannot outrank the page's own
 * <h1>/<h2>; h4 and below all end at h6, the last level HTML has.
 */
const COMPONENTS: Components = {
  h1: "h3",
  h2: "h4",
  h3: "h5",
  h4: "h6",
  h5: "h6",
  h6: "h6",
  a: ({ node: _node, ...props }) => (
    <a {...props} rel="noopener noreferrer nofollow" />
  ),
  // A task list's checkbox (read-only) has no label of its own: name its state.
  input: ({ node: _node, ...props }) =>
    props.type === "checkbox" ? (
      <input {...props} aria-label={props.checked ? "done" : "not done"} />
    ) : (
      <input {...props} />
    ),
};

/**
 * User-written Markdown (experiment descriptions) with GitHub's extensions:
 * tables, task lists, strikethrough, autolinks. Raw HTML stays text and unsafe
 * URLs (javascript: and the like) are dropped (react-markdown's defaults, kept on
 * purpose); links are marked nofollow. Renders on the server: no hooks.
 *
 * @example
 * <Markdown source={experiment.description} />
 */
export function Markdown({ source }: { source: string }) {
  return (
    <div className={styles.markdown}>
      <ReactMarkdown remarkPlugins={[remarkGfm]} components={COMPONENTS}>
        {source}
      </ReactMarkdown>
    </div>
  );
}
