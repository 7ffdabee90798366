import { Tokenizer } from "@huggingface/tokenizers";

/** Text to token ids and back, for one model. */
export interface TextTokenizer {
  /** Token ids of `text`, with no special tokens added (what the model's export expects). */
  encode(text: string): number[];
  /** The text of token ids. */
  decode(ids: readonly number[]): string;
  /** The token strings of `text` (for display, e.g. which position is which word). */
  tokens(text: string): string[];
}

/** Raised for a tokenizer.json the library cannot read. */
export class TokenizerLoadError extends Error {
  override readonly name = "TokenizerLoadError";
  readonly code = "TOKENIZER_INVALID";
}

/**
 * Builds a tokenizer from the contents of a Hugging Face tokenizer.json (and,
 * optionally, tokenizer_config.json). Uses @huggingface/tokenizers, the pure
 * JavaScript port maintained by Hugging Face (the tokenizer of Transformers.js),
 * so ids equal those of Python's `tokenizers` for the same file.
 */
export function loadTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig: Record<string, unknown> = {},
): TextTokenizer {
  if (
    typeof tokenizerJson !== "object" ||
    tokenizerJson === null ||
    !("model" in tokenizerJson)
  ) {
    throw new TokenizerLoadError(
      'tokenizer.json: expected an object with a "model" field (a Hugging Face tokenizer file)',
    );
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
  } catch (error) {
    throw new TokenizerLoadError(
      `tokenizer.json could not be loaded: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return {
    encode: (text) => tokenizer.encode(text, { add_special_tokens: false }).ids,
    // The library refuses an empty list; the text of no tokens is "".
    decode: (ids) =>
      ids.length === 0
        ? ""
        : tokenizer.decode([...ids], { skip_special_tokens: false }),
    tokens: (text) =>
      tokenizer.encode(text, { add_special_tokens: false }).tokens,
  };
}
